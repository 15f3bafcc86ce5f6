//! Throwaway PostgreSQL servers for tests, with nothing but `std`.
//!
//! * [`url`] — the connection string of one server shared by the whole test
//!   process (or `M2M_PG_URL`, when set).
//! * [`fresh_schema_url`] / [`fresh_database_url`] — the same server, seen
//!   through a new, empty schema or database, so parallel tests never see
//!   each other's tables.
//! * [`standby`] — a primary of its own plus a streaming hot standby.
//!
//! Servers are started with the PostgreSQL binaries of the machine (`initdb`,
//! `pg_ctl`, `pg_basebackup`, `psql`: on `PATH` or in
//! `/usr/lib/postgresql/<version>/bin`). Without them every entry point
//! panics loudly: the PostgreSQL half of the tests is never skipped
//! silently. When the process runs as root (CI), the server tools run as the
//! `postgres` account through `runuser`, since `initdb` refuses root.
//!
//! Rust never drops statics and a test binary may be killed, so each server
//! is watched by a detached shell that stops it (`pg_ctl stop -m immediate`)
//! and removes its directory once the test process is gone.
//!
//! Connection strings are libpq `key=value` strings, which both libpq (and
//! so `psql`) and the `postgres` crate accept.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable naming an existing server to use instead of a
/// throwaway one (a libpq connection string).
pub const URL_ENV: &str = "M2M_PG_URL";

const NOT_INSTALLED: &str = "\n\n\
    ************************************************************************\n\
    PostgreSQL server binaries are needed for the PostgreSQL half of the tests;\n\
    on Debian/Ubuntu `apt-get install postgresql` (initdb and pg_ctl on PATH or\n\
    in /usr/lib/postgresql/<version>/bin), or set M2M_PG_URL to a server's\n\
    connection string.\n\
    ************************************************************************\n";

/// The connection string of the server shared by the whole test process.
///
/// `M2M_PG_URL`, when set and non-empty, is returned unchanged. Otherwise the
/// first call starts a throwaway server (`initdb` in a fresh temporary
/// directory, a free port on 127.0.0.1, durability off) and every call
/// returns its string, e.g. `host=127.0.0.1 port=54321 user=postgres
/// dbname=postgres`. The server is stopped and its directory removed when
/// the process ends.
///
/// # Panics
///
/// When the PostgreSQL binaries are not installed, or the server cannot be
/// started (the message carries the tools' output and the server log).
pub fn url() -> String {
    if let Some(url) = env_url() {
        return url;
    }
    static SHARED: OnceLock<Result<String, String>> = OnceLock::new();
    // A failed start is remembered: every test reports the same error rather
    // than each retrying initdb.
    let shared = SHARED.get_or_init(|| {
        let dir = TempDir::new("shared")?;
        let server = Server::init_and_start(&dir, "data", &[])?;
        let url = server.url();
        // Stopped and removed by the watchdog once the process is gone:
        // dropping them now would stop the server.
        std::mem::forget(server);
        std::mem::forget(dir);
        Ok(url)
    });
    match shared {
        Ok(url) => url.clone(),
        Err(e) => panic!("could not start the shared PostgreSQL server: {e}"),
    }
}

/// A connection string on the shared server ([`url`]) whose `search_path` is
/// a new, empty schema, so tests running in parallel do not see each other's
/// tables.
///
/// The schema is created here (with `psql`); the string is [`url`] plus
/// `options='-csearch_path=t_<unique>'` (replacing any `options` of
/// `M2M_PG_URL`). Schemas are not dropped: they go away with the throwaway
/// server.
///
/// # Panics
///
/// Like [`url`], and when `psql` cannot create the schema.
pub fn fresh_schema_url() -> String {
    let base = url();
    let schema = format!("t_{}", unique_suffix());
    psql(&base, &format!("CREATE SCHEMA {schema}"))
        .unwrap_or_else(|e| panic!("could not create schema {schema}: {e}"));
    with_param(&base, "options", &format!("-csearch_path={schema}"))
}

/// A connection string on the shared server ([`url`]) naming a new, empty
/// database `d_<unique>`, for tests that need a whole database.
///
/// # Panics
///
/// Like [`url`], and when `psql` cannot create the database.
pub fn fresh_database_url() -> String {
    let base = url();
    let db = format!("d_{}", unique_suffix());
    psql(&base, &format!("CREATE DATABASE {db}"))
        .unwrap_or_else(|e| panic!("could not create database {db}: {e}"));
    with_param(&base, "dbname", &db)
}

/// A dedicated primary server and a hot standby streaming from it.
///
/// Both are stopped (`-m immediate`) and their directory removed on drop, and
/// by the watchdog if the process dies first. `M2M_PG_URL` is not used: the
/// pair is always local, so the PostgreSQL binaries are needed.
///
/// Replication is asynchronous. To read on the standby what was written on
/// the primary, take the primary's position after the write and poll the
/// standby until it has replayed that far:
///
/// ```text
/// primary:  SELECT pg_current_wal_lsn()::text          -- e.g. '0/3000148'
/// standby:  SELECT pg_last_wal_replay_lsn() >= '0/3000148'::pg_lsn
///           -- repeat (with a timeout) until it returns true
/// ```
///
/// [`CURRENT_LSN_SQL`] and [`wait_for_replay_sql`] build those statements.
#[derive(Debug)]
pub struct Standby {
    // Dropped in this order: the standby stops first (so it does not log a
    // lost primary), the directory goes last.
    standby: Server,
    primary: Server,
    #[allow(dead_code, reason = "held for its drop, which removes the directory")]
    dir: TempDir,
}

impl Standby {
    /// The primary's connection string (read-write).
    pub fn primary_url(&self) -> String {
        self.primary.url()
    }

    /// The standby's connection string (read-only).
    pub fn standby_url(&self) -> String {
        self.standby.url()
    }
}

/// Starts a new primary (`wal_level=replica`) and a hot standby made from it
/// with `pg_basebackup -R -X stream`, each on a free port.
///
/// # Panics
///
/// When the PostgreSQL binaries are not installed, or a server cannot be
/// started or copied (the message carries the tools' output and the logs).
pub fn standby() -> Standby {
    try_standby()
        .unwrap_or_else(|e| panic!("could not start a PostgreSQL primary/standby pair: {e}"))
}

fn try_standby() -> Result<Standby, String> {
    let dir = TempDir::new("standby")?;
    let primary = Server::init_and_start(
        &dir,
        "primary",
        &[
            "-c wal_level=replica",
            "-c max_wal_senders=5",
            "-c hot_standby=on",
        ],
    )?;
    let standby_data = dir.path.join("standby");
    let port = primary.port.to_string();
    let backup = run_pg(
        "pg_basebackup",
        &dir.path,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-D",
            path_str(&standby_data)?,
            "-R",
            "-X",
            "stream",
        ],
    )?;
    check("pg_basebackup", &backup, None)?;
    let standby = Server::start(&dir, standby_data, &["-c hot_standby=on"])?;
    Ok(Standby {
        standby,
        primary,
        dir,
    })
}

/// The query, for the primary, returning the current WAL position as text
/// (see [`Standby`]).
pub const CURRENT_LSN_SQL: &str = "SELECT pg_current_wal_lsn()::text";

/// The query, for a standby, returning whether it has replayed the WAL up to
/// `lsn` (a position such as `0/3000148`, from [`CURRENT_LSN_SQL`]).
pub fn wait_for_replay_sql(lsn: &str) -> String {
    format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")
}

/// Runs `sql` with `psql` against the server of connection string `url`
/// (stopping at the first error) and returns its unaligned, tuples-only
/// output: one line per row, columns separated by `|`.
pub fn psql(url: &str, sql: &str) -> Result<String, String> {
    let bin = tool("psql")?;
    let out = Command::new(&bin)
        .args([
            url,
            // No ~/.psqlrc, and never a password prompt on the terminal (a
            // hang in CI): a server wanting one fails instead.
            "-X",
            "-w",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", bin.display()))?;
    check(&format!("psql -c {sql:?}"), &out, None)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}

fn env_url() -> Option<String> {
    std::env::var(URL_ENV).ok().filter(|u| !u.trim().is_empty())
}

/// `url` with `key` set to `value`. For a `key=value` string the pair is
/// appended (libpq and the `postgres` crate both let the last one win); for
/// a `postgresql://` URI it becomes the path (`dbname`) or a query parameter.
fn with_param(url: &str, key: &str, value: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (head, query) = url
            .split_once('?')
            .map_or((url, None), |(h, q)| (h, Some(q)));
        if key == "dbname" {
            // The path starts at the first '/' after "scheme://".
            let scheme_end = head.find("://").map_or(0, |i| i + 3);
            let authority_end = head[scheme_end..]
                .find('/')
                .map_or(head.len(), |i| scheme_end + i);
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            return format!("{}/{value}{query}", &head[..authority_end]);
        }
        let sep = if query.is_some() { '&' } else { '?' };
        return format!(
            "{url}{sep}{key}={}",
            value
                .replace('%', "%25")
                .replace('=', "%3D")
                .replace(' ', "%20")
        );
    }
    let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("{url} {key}='{quoted}'")
}

/// Unique within the process (a counter) and across processes sharing a
/// server through `M2M_PG_URL` (the pid and the clock).
fn unique_suffix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}_{n}_{nanos}", std::process::id())
}

/// One PostgreSQL server: its data directory and port.
#[derive(Debug)]
struct Server {
    data: PathBuf,
    port: u16,
}

impl Server {
    /// `initdb` into `dir/name`, then [`Server::start`].
    fn init_and_start(dir: &TempDir, name: &str, options: &[&str]) -> Result<Server, String> {
        let data = dir.path.join(name);
        let out = run_pg(
            "initdb",
            &dir.path,
            &[
                "-D",
                path_str(&data)?,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        check("initdb", &out, None)?;
        Server::start(dir, data, options)
    }

    /// Starts the server of data directory `data` on a free port, its socket
    /// and log in `dir`, and waits until it accepts connections.
    fn start(dir: &TempDir, data: PathBuf, options: &[&str]) -> Result<Server, String> {
        let name = data
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("server")
            .to_owned();
        let log = dir.path.join(format!("{name}.log"));
        // The free port is only free when we look: another process may take
        // it before the server binds, so a bind failure is retried.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = free_port()?;
            let mut opts = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections=200 -c shared_buffers=128MB",
                path_str(&dir.path)?
            );
            for o in options {
                opts.push(' ');
                opts.push_str(o);
            }
            let out = run_pg(
                "pg_ctl",
                &dir.path,
                &[
                    "-D",
                    path_str(&data)?,
                    "-l",
                    path_str(&log)?,
                    "-w",
                    "-o",
                    &opts,
                    "start",
                ],
            )?;
            // Built before the check: dropping it stops a half-started server.
            let server = Server {
                data: data.clone(),
                port,
            };
            if out.status.success() {
                server.wait_accepting(&log)?;
                return Ok(server);
            }
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            if attempt < 3 && log_text.contains("could not bind") {
                continue;
            }
            check("pg_ctl start", &out, Some(&log))?;
            return Err(format!(
                "pg_ctl start exited with {} and no error",
                out.status
            ));
        }
    }

    /// `pg_ctl -w` already waited; this makes sure the TCP port answers.
    fn wait_accepting(&self, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the server on port {} does not accept TCP connections after 30 s\n{}",
                    self.port,
                    log_tail(log)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }
}

impl Drop for Server {
    /// Stops the server (also one whose start failed half-way); errors are
    /// ignored: there is nothing left to do about them.
    fn drop(&mut self) {
        if let Ok(data) = path_str(&self.data) {
            let _ = run_pg(
                "pg_ctl",
                Path::new("/"),
                &["-D", data, "stop", "-m", "immediate"],
            );
        }
    }
}

/// A fresh temporary directory holding servers' data, sockets and logs. Its
/// drop removes it; a watchdog process stops its servers and removes it if
/// the test process dies first (or never drops it: the shared server).
#[derive(Debug)]
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(kind: &str) -> Result<TempDir, String> {
        let path = std::env::temp_dir().join(format!("m2m-pg-{kind}-{}", unique_suffix()));
        std::fs::create_dir(&path)
            .map_err(|e| format!("could not create {}: {e}", path.display()))?;
        let dir = TempDir { path };
        if is_root() {
            // The server account creates the data directories, the socket
            // and the logs in here.
            let out = Command::new("chown")
                .args(["postgres:postgres", path_str(&dir.path)?])
                .output()
                .map_err(|e| format!("could not run chown: {e}"))?;
            check("chown postgres:postgres", &out, None)?;
        }
        dir.spawn_watchdog()?;
        Ok(dir)
    }

    /// A detached `sh` that waits for this process to end (or the directory
    /// to go: a dropped [`Standby`]), then stops every server whose data
    /// directory is in here and removes the directory.
    fn spawn_watchdog(&self) -> Result<(), String> {
        const SCRIPT: &str = r#"
            pid=$1; dir=$2; shift 2
            while kill -0 "$pid" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
            for data in "$dir"/*/; do
                [ -f "$data/postmaster.pid" ] && "$@" -D "$data" stop -m immediate
            done
            rm -rf "$dir"
        "#;
        let mut cmd = Command::new("sh");
        cmd.args(["-c", SCRIPT, "m2m-pg-watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.path);
        if is_root() {
            cmd.args(["runuser", "-u", "postgres", "--"]);
        }
        cmd.arg(tool("pg_ctl")?);
        // All three fds to /dev/null: a watchdog holding the test's stdout
        // pipe would make `cargo test` wait for it. Its own process group
        // keeps a Ctrl-C aimed at the tests from killing it too.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not spawn the watchdog shell: {e}"))?;
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Runs PostgreSQL tool `name` with `args` in `cwd`, as the `postgres`
/// account when this process is root (`initdb` and `postgres` refuse root).
fn run_pg(name: &str, cwd: &Path, args: &[&str]) -> Result<Output, String> {
    let bin = tool(name)?;
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", bin.display()))
}

/// An error carrying the command's output (and the server log) unless it
/// succeeded.
fn check(what: &str, out: &Output, log: Option<&Path>) -> Result<(), String> {
    if out.status.success() {
        Ok(())
    } else {
        Err(failure(what, out, log))
    }
}

/// The message for a failed command: its status, output and server log.
fn failure(what: &str, out: &Output, log: Option<&Path>) -> String {
    let mut msg = format!(
        "{what} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    );
    if let Some(log) = log {
        msg.push('\n');
        msg.push_str(&log_tail(log));
    }
    msg
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| format!("(unreadable: {e})"));
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    format!("--- server log {} ---\n{tail}", log.display())
}

/// The path of PostgreSQL tool `name`: next to `initdb` (so all tools are of
/// one version), else on `PATH`.
///
/// # Panics
///
/// Loudly, when a server tool is wanted and `initdb` is found neither on
/// `PATH` nor in `/usr/lib/postgresql/*/bin`.
fn tool(name: &str) -> Result<PathBuf, String> {
    if let Some(dir) = bin_dir() {
        let next_to_initdb = dir.join(name);
        if next_to_initdb.is_file() {
            return Ok(next_to_initdb);
        }
    }
    if let Some(found) = find_on_path(name) {
        return Ok(found);
    }
    if name == "psql" {
        // With M2M_PG_URL only the client is needed.
        return Err(
            "psql is not installed: on Debian/Ubuntu `apt-get install postgresql-client`".into(),
        );
    }
    match bin_dir() {
        None => panic!("{NOT_INSTALLED}"),
        Some(dir) => Err(format!(
            "{name} is neither in {} nor on PATH",
            dir.display()
        )),
    }
}

/// The directory of the server binaries (that of `initdb`), found once.
fn bin_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(initdb) = find_on_path("initdb") {
            // Debian links /usr/bin tools to a version-picking wrapper, and
            // initdb may be a link into the versioned directory: resolve
            // links to find its siblings.
            let real = std::fs::canonicalize(&initdb).unwrap_or(initdb);
            return real.parent().map(Path::to_path_buf);
        }
        // The newest installed version (by number, so 9.6 < 15).
        let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let major = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((major, bin))
            })
            .collect();
        dirs.sort();
        dirs.pop().map(|(_, bin)| bin)
    })
    .as_deref()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Whether this process runs as root (effective uid 0).
fn is_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        if let Some(line) = status.lines().find(|l| l.starts_with("Uid:")) {
            // "Uid: real effective saved fs"
            return line.split_whitespace().nth(2) == Some("0");
        }
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("could not bind 127.0.0.1:0 to find a free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("could not read the free port: {e}"))
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

#[cfg(test)]
mod tests;
