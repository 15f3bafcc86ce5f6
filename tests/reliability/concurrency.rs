//! Concurrent writers: several threads, each with its own connection
//! (`m2m::open`) to one WAL database file, run a fixed number of mixed
//! calls on shared targets, with the library's configured busy timeout.
//!
//! The calls are chosen so the final state can be checked exactly:
//!
//! - each thread owns a disjoint set of owners (posts, members with pivot
//!   data) but links them to shared targets; it keeps its own model of them
//!   and every result must match it (nobody else writes those rows);
//! - all threads also fight over a shared post's links to a few labels and
//!   over friendships among a few shared people; every successful call's
//!   report (`add`/`remove` of one key: 0 or 1; `sync`/`set`/`toggle`: the
//!   keys added and removed) is logged, and for each contended pair the
//!   links made minus the links removed, summed over all threads, must be
//!   0 or 1 and equal to whether the pair is linked at the end;
//! - every tenth call, each thread also increments a counter kept in the
//!   pivot data of one shared link with `update_pivot` (a read, then a
//!   write): the final counter is the number of increments that succeeded.
//!
//! No error may surface but a busy timeout ([`m2m::Error::is_busy`]),
//! which is counted and must have written nothing; with every call taking
//! the write lock up front and waiting out the library's busy timeout, the
//! count must be zero. The counts are printed (`cargo test ... -- --nocapture`).
//!
//! On PostgreSQL the same body runs twice on one schema, each thread with
//! its own `m2m::pg::connect`: with each call on its own (READ COMMITTED),
//! and with each call inside `transaction_with(Isolation::Serializable)`,
//! retried while it fails [`m2m::Error::is_busy`] (retries are counted).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use m2m::pg::{Isolation, PgConnection, PgTransaction};
use m2m::rusqlite::Connection;
use m2m::{Db, Key, ManyToMany, Model, SyncMode, SyncReport};

use crate::backend::TestDb;

use crate::model_based::Data;
use crate::models::*;

const THREADS: usize = 4;
/// Calls per thread.
const OPS: usize = 2_500;
/// Shared labels 1..=LABELS; the first CONTENDED are fought over on post 1.
const LABELS: i64 = 40;
const CONTENDED: i64 = 8;
/// People 1..=PEOPLE, whose friendships every thread changes.
const PEOPLE: i64 = 6;
/// Shared clubs 1..=CLUBS.
const CLUBS: i64 = 12;
/// Posts and members each thread owns.
const OWN: i64 = 4;
/// The post every thread writes to.
const SHARED_POST: i64 = 1;
/// The member whose link to club 1 every thread increments a counter of
/// (in its `note`); no thread owns it.
const SHARED_MEMBER: i64 = 1 + THREADS as i64 * OWN;
/// Every this many calls, a thread increments the shared counter.
const INCREMENT_EVERY: usize = 10;

/// A small deterministic generator (xorshift64*), one per thread.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }
    fn keys(&mut self, lo: i64, hi: i64, max_len: i64) -> Vec<i64> {
        let n = self.range(0, max_len);
        (0..n).map(|_| self.range(lo, hi)).collect()
    }
}

/// What one thread did and saw.
#[derive(Default)]
struct Log {
    calls: BTreeMap<&'static str, usize>,
    busy: usize,
    /// Increments of the shared counter that succeeded.
    increments: i64,
    /// (label, +1 linked / -1 unlinked) on the shared post.
    shared: Vec<(i64, i64)>,
    /// ((smaller, larger) person, +1 / -1).
    friends: Vec<((i64, i64), i64)>,
    /// The thread's own posts' links, as its model has them.
    posts: BTreeMap<i64, BTreeSet<i64>>,
    /// The thread's own members' links with their pivot data.
    members: BTreeMap<i64, BTreeMap<i64, Data>>,
}

/// A worker's connection; on PostgreSQL it can open serializable
/// transactions for [`call!`].
trait Conc: TestDb {
    fn serializable(&mut self) -> m2m::Result<PgTransaction<'_>>;
}

impl Conc for Connection {
    fn serializable(&mut self) -> m2m::Result<PgTransaction<'_>> {
        unreachable!("SQLite runs every call on its own")
    }
}

impl Conc for PgConnection {
    fn serializable(&mut self) -> m2m::Result<PgTransaction<'_>> {
        self.transaction_with(Isolation::Serializable)
    }
}

/// Serializable calls tried again after a busy failure (only the
/// serializable test makes any).
static RETRIES: AtomicUsize = AtomicUsize::new(0);

/// Serializable calls given up after this many busy failures in a row.
const MAX_RETRIES: usize = 1_000;

/// `$e`, a call on `$db`: on the connection `$conn`, or (with `$ser`) in
/// a serializable transaction of its own, committed, and run again while it
/// fails busy.
macro_rules! call {
    ($conn:ident, $ser:expr, |$db:ident| $e:expr) => {{
        let mut tries = 0;
        loop {
            let r = if $ser {
                match $conn.serializable() {
                    Ok(tx) => {
                        let $db = &tx;
                        match $e {
                            Ok(v) => tx.commit().map(|()| v),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            } else {
                let $db = &*$conn;
                $e
            };
            match r {
                Err(e) if $ser && e.is_busy() && tries < MAX_RETRIES => {
                    tries += 1;
                    RETRIES.fetch_add(1, Ordering::Relaxed);
                }
                r => break r,
            }
        }
    }};
}

fn post_id(thread: usize, i: i64) -> i64 {
    2 + i64::try_from(thread).unwrap_or(0) * OWN + i
}

fn member_id(thread: usize, i: i64) -> i64 {
    1 + i64::try_from(thread).unwrap_or(0) * OWN + i
}

fn ids<T: Model<Pk = i64>>(keys: &[Key<T>]) -> Vec<i64> {
    keys.iter().map(|k| *k.get()).collect()
}

fn membership(d: &Data) -> Membership {
    Membership {
        role: d.role.clone(),
        note: d.note.clone(),
        ..Default::default()
    }
}

/// `Ok(None)` for a busy timeout (counted), `Ok(Some(v))` for success; any
/// other error ends the thread with a message.
fn tolerate<T>(log: &mut Log, what: &str, r: m2m::Result<T>) -> Result<Option<T>, String> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_busy() => {
            log.busy += 1;
            Ok(None)
        }
        Err(e) => Err(format!("{what}: {e:?}")),
    }
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// One thread's run: `OPS` calls chosen by a generator seeded with the
/// thread's number.
fn worker<C: Conc>(thread: usize, conn: &mut C, ser: bool) -> Result<Log, String> {
    let mut rng = Rng::new(thread as u64 + 1);
    let mut log = Log::default();
    for i in 0..OWN {
        log.posts.insert(post_id(thread, i), BTreeSet::new());
        log.members.insert(member_id(thread, i), BTreeMap::new());
    }
    let roles = ["", "lead", "o'hara -- 🦀"];
    for n in 0..OPS {
        let dice = rng.range(0, 99);
        if dice < 25 {
            // Contended: post 1 and labels 1..=CONTENDED.
            let shared = Post::LABELS.of_key(SHARED_POST);
            let kind = rng.range(0, 5);
            let one = rng.range(1, CONTENDED);
            let many = rng.keys(1, CONTENDED, 4);
            let (name, report): (&'static str, Option<SyncReport<Label>>) = match kind {
                0 => {
                    let r = tolerate(
                        &mut log,
                        "shared add",
                        call!(conn, ser, |db| shared.add(db, [one])),
                    )?;
                    if let Some(k) = r {
                        if k > 1 {
                            return Err(format!("shared add of one key linked {k}"));
                        }
                        if k == 1 {
                            log.shared.push((one, 1));
                        }
                    }
                    ("shared add", None)
                }
                1 => {
                    let r = tolerate(
                        &mut log,
                        "shared remove",
                        call!(conn, ser, |db| shared.remove(db, [one])),
                    )?;
                    if let Some(k) = r {
                        if k > 1 {
                            return Err(format!("shared remove of one key removed {k}"));
                        }
                        if k == 1 {
                            log.shared.push((one, -1));
                        }
                    }
                    ("shared remove", None)
                }
                2 => (
                    "shared sync add",
                    tolerate(
                        &mut log,
                        "shared sync",
                        call!(conn, ser, |db| shared.sync(db, many.clone(), SyncMode::Add)),
                    )?,
                ),
                3 => (
                    "shared sync remove",
                    tolerate(
                        &mut log,
                        "shared sync",
                        call!(conn, ser, |db| shared.sync(
                            db,
                            many.clone(),
                            SyncMode::Remove
                        )),
                    )?,
                ),
                4 => (
                    "shared toggle",
                    tolerate(
                        &mut log,
                        "shared toggle",
                        call!(conn, ser, |db| shared.toggle(db, many.clone())),
                    )?,
                ),
                _ => {
                    // Keep the labels past CONTENDED linked: set names them too.
                    let mut keep = many;
                    keep.extend(CONTENDED + 1..=CONTENDED + 2);
                    (
                        "shared set",
                        tolerate(
                            &mut log,
                            "shared set",
                            call!(conn, ser, |db| shared.set(db, keep.clone())),
                        )?,
                    )
                }
            };
            *log.calls.entry(name).or_default() += 1;
            if let Some(r) = report {
                for k in ids(&r.added) {
                    log.shared.push((k, 1));
                }
                for k in ids(&r.removed) {
                    log.shared.push((k, -1));
                }
                if ids(&r.removed).iter().any(|&k| k > CONTENDED) {
                    return Err(format!("{name} removed a label it was told to keep: {r:?}"));
                }
            }
        } else if dice < 40 {
            // Contended: friendships among the shared people, from either side.
            let owner = rng.range(1, PEOPLE);
            let friends = Person::FRIENDS.of_key(owner);
            let many = rng.keys(1, PEOPLE, 3);
            let (name, r) = match rng.range(0, 3) {
                0 => (
                    "friends sync add",
                    call!(conn, ser, |db| friends.sync(
                        db,
                        many.clone(),
                        SyncMode::Add
                    )),
                ),
                1 => (
                    "friends sync remove",
                    call!(conn, ser, |db| friends.sync(
                        db,
                        many.clone(),
                        SyncMode::Remove
                    )),
                ),
                2 => (
                    "friends toggle",
                    call!(conn, ser, |db| friends.toggle(db, many.clone())),
                ),
                _ => (
                    "friends set",
                    call!(conn, ser, |db| friends.set(db, many.clone())),
                ),
            };
            *log.calls.entry(name).or_default() += 1;
            if let Some(r) = tolerate(&mut log, name, r)? {
                let pair = |k: i64| (owner.min(k), owner.max(k));
                log.friends
                    .extend(ids(&r.added).into_iter().map(|k| (pair(k), 1)));
                log.friends
                    .extend(ids(&r.removed).into_iter().map(|k| (pair(k), -1)));
            }
        } else if dice < 75 {
            own_post_call(thread, conn, ser, &mut rng, &mut log, n)?;
        } else {
            own_member_call(thread, conn, ser, &mut rng, &mut log, &roles)?;
        }
        // Not drawn from the generator: the calls above stay as they were.
        if n % INCREMENT_EVERY == 0 {
            increment_shared_counter(conn, ser, &mut log)?;
        }
    }
    Ok(log)
}

/// Adds one to the counter in the pivot data of the shared member's link
/// to club 1 (read, change, write back: one `update_pivot`).
fn increment_shared_counter<C: Conc>(conn: &mut C, ser: bool, log: &mut Log) -> Result<(), String> {
    let mut unreadable = None;
    let r = call!(conn, ser, |db| Member::CLUBS
        .of_key(SHARED_MEMBER)
        .update_pivot(db, 1, |p| {
            match p.note.as_deref().map(str::parse::<i64>) {
                Some(Ok(n)) => p.note = Some((n + 1).to_string()),
                other => unreadable = Some(format!("{other:?}")),
            }
        }));
    if let Some(note) = unreadable {
        return Err(format!("shared counter: unreadable note {note}"));
    }
    match tolerate(log, "shared update_pivot", r)? {
        Some(true) => log.increments += 1,
        Some(false) => return Err("shared counter: the link is gone".to_owned()),
        None => {}
    }
    Ok(())
}

/// A call on one of the thread's own posts, checked against its model.
fn own_post_call<C: Conc>(
    thread: usize,
    conn: &mut C,
    ser: bool,
    rng: &mut Rng,
    log: &mut Log,
    n: usize,
) -> Result<(), String> {
    let post = post_id(thread, rng.range(0, OWN - 1));
    let acc = Post::LABELS.of_key(post);
    let ts = rng.keys(1, LABELS, 5);
    let linked = log.posts[&post].clone();
    let unique: BTreeSet<i64> = ts.iter().copied().collect();
    let kind = rng.range(0, 6);
    let name = ["add", "remove", "set", "toggle", "clear", "create", "read"][kind as usize];
    *log.calls.entry(name).or_default() += 1;
    let mut next = linked.clone();
    match kind {
        0 => {
            let Some(k) = tolerate(log, "add", call!(conn, ser, |db| acc.add(db, ts.clone())))?
            else {
                return Ok(());
            };
            next.extend(&unique);
            expect_eq(k, next.len() - linked.len(), "add")?;
        }
        1 => {
            let Some(k) = tolerate(
                log,
                "remove",
                call!(conn, ser, |db| acc.remove(db, ts.clone())),
            )?
            else {
                return Ok(());
            };
            next.retain(|t| !unique.contains(t));
            expect_eq(k, linked.len() - next.len(), "remove")?;
        }
        2 => {
            let Some(r) = tolerate(log, "set", call!(conn, ser, |db| acc.set(db, ts.clone())))?
            else {
                return Ok(());
            };
            next.clone_from(&unique);
            let added: Vec<i64> = unique.difference(&linked).copied().collect();
            let removed: Vec<i64> = linked.difference(&unique).copied().collect();
            expect_eq((ids(&r.added), ids(&r.removed)), (added, removed), "set")?;
        }
        3 => {
            let Some(r) = tolerate(
                log,
                "toggle",
                call!(conn, ser, |db| acc.toggle(db, ts.clone())),
            )?
            else {
                return Ok(());
            };
            let added: Vec<i64> = unique.difference(&linked).copied().collect();
            let removed: Vec<i64> = unique.intersection(&linked).copied().collect();
            next = linked.symmetric_difference(&unique).copied().collect();
            expect_eq((ids(&r.added), ids(&r.removed)), (added, removed), "toggle")?;
        }
        4 => {
            let Some(k) = tolerate(log, "clear", call!(conn, ser, |db| acc.clear(db)))? else {
                return Ok(());
            };
            next.clear();
            expect_eq(k, linked.len(), "clear")?;
        }
        5 => {
            let label = Label {
                id: 0,
                name: format!("made by thread {thread} at call {n}"),
            };
            let Some(made) = tolerate(
                log,
                "create",
                call!(conn, ser, |db| acc.create(db, label.clone())),
            )?
            else {
                return Ok(());
            };
            if made.id <= LABELS {
                return Err(format!("create returned an existing key {}", made.id));
            }
            next.insert(made.id);
        }
        _ => {
            let Some(keys) = tolerate(log, "keys", call!(conn, ser, |db| acc.keys(db)))? else {
                return Ok(());
            };
            expect_eq(ids(&keys), linked.iter().copied().collect(), "keys")?;
        }
    }
    log.posts.insert(post, next);
    Ok(())
}

/// A pivot call on one of the thread's own members, checked against its model.
fn own_member_call<C: Conc>(
    thread: usize,
    conn: &mut C,
    ser: bool,
    rng: &mut Rng,
    log: &mut Log,
    roles: &[&str],
) -> Result<(), String> {
    let member = member_id(thread, rng.range(0, OWN - 1));
    let acc = Member::CLUBS.of_key(member);
    let data = |rng: &mut Rng| {
        let role = roles[usize::try_from(rng.range(0, 2)).unwrap_or(0)];
        Data::new(role, (rng.range(0, 1) == 1).then_some("note"))
    };
    let linked = log.members[&member].clone();
    let mut next = linked.clone();
    let club = rng.range(1, CLUBS);
    match rng.range(0, 2) {
        0 => {
            *log.calls.entry("add_with").or_default() += 1;
            let d = data(rng);
            let Some(made) = tolerate(
                log,
                "add_with",
                call!(conn, ser, |db| acc.add_with(db, club, membership(&d))),
            )?
            else {
                return Ok(());
            };
            expect_eq(made, !linked.contains_key(&club), "add_with")?;
            next.entry(club).or_insert(d);
        }
        1 => {
            *log.calls.entry("update_pivot").or_default() += 1;
            let d = data(rng);
            let r = call!(conn, ser, |db| acc.update_pivot(db, club, |p| {
                p.role.clone_from(&d.role);
                p.note.clone_from(&d.note);
            }));
            let Some(changed) = tolerate(log, "update_pivot", r)? else {
                return Ok(());
            };
            expect_eq(changed, linked.contains_key(&club), "update_pivot")?;
            if let Some(old) = next.get_mut(&club) {
                *old = d;
            }
        }
        _ => {
            *log.calls.entry("sync_with").or_default() += 1;
            let items: Vec<(i64, Data)> = rng
                .keys(1, CLUBS, 4)
                .into_iter()
                .map(|c| (c, data(rng)))
                .collect();
            let r = call!(conn, ser, |db| acc.sync_with(
                db,
                items.iter().map(|(c, d)| (*c, membership(d))),
                SyncMode::Replace,
            ));
            let Some(r) = tolerate(log, "sync_with", r)? else {
                return Ok(());
            };
            let wanted: BTreeMap<i64, Data> = items.into_iter().collect();
            let added: Vec<i64> = wanted
                .keys()
                .filter(|c| !linked.contains_key(c))
                .copied()
                .collect();
            let removed: Vec<i64> = linked
                .keys()
                .filter(|c| !wanted.contains_key(c))
                .copied()
                .collect();
            let updated: Vec<i64> = wanted
                .iter()
                .filter(|(c, d)| linked.get(c).is_some_and(|old| old != *d))
                .map(|(c, _)| *c)
                .collect();
            expect_eq(
                (ids(&r.added), ids(&r.removed), ids(&r.updated)),
                (added, removed, updated),
                "sync_with",
            )?;
            next = wanted;
        }
    }
    log.members.insert(member, next);
    Ok(())
}

/// The shared rows every thread starts from.
fn seed(tx: &impl Db) {
    for id in 1..=LABELS {
        let name = format!("label {id}");
        Label { id, name }.insert(tx).unwrap();
    }
    for id in 1..=PEOPLE {
        let name = format!("person {id}");
        let friends = Default::default();
        Person { id, name, friends }.insert(tx).unwrap();
    }
    for id in 1..=CLUBS {
        let name = format!("club {id}");
        Club { id, name }.insert(tx).unwrap();
    }
    let threads = i64::try_from(THREADS).unwrap();
    for id in 1..=1 + threads * OWN {
        let title = format!("post {id}");
        let labels = Default::default();
        Post {
            id,
            title,
            body: None,
            labels,
        }
        .insert(tx)
        .unwrap();
        let name = format!("member {id}");
        let clubs = Default::default();
        Member { id, name, clubs }.insert(tx).unwrap();
    }
    let counter = Membership {
        role: "counter".into(),
        note: Some("0".into()),
        ..Default::default()
    };
    assert!(
        Member::CLUBS
            .of_key(SHARED_MEMBER)
            .add_with(tx, 1, counter)
            .unwrap()
    );
    // Labels past CONTENDED stay linked to the shared post throughout.
    Post::LABELS
        .of_key(SHARED_POST)
        .add(tx, CONTENDED + 1..=CONTENDED + 2)
        .unwrap();
}

#[test]
fn concurrent_writers_lose_and_duplicate_nothing() {
    let dir = TempDir::new("concurrency");
    let path = dir.file("shared.db");
    {
        let conn = m2m::open(&path).unwrap();
        create_all(&conn);
        let tx = conn.unchecked_transaction().unwrap();
        seed(&tx);
        tx.commit().unwrap();
    }
    let busy = writers(|| m2m::open(&path).map_err(|e| format!("open: {e}")), false);
    // Every call takes the write lock up front (`BEGIN IMMEDIATE`) and waits
    // up to `BUSY_TIMEOUT` for it; no call here holds it for long, so none
    // may give up.
    assert_eq!(busy, 0, "{busy} calls failed busy");
}

/// The PostgreSQL schema the writers share, seeded; its url.
fn pg_shared() -> String {
    let url = m2m_pg_harness::fresh_schema_url();
    let mut conn = m2m::pg::connect(&url).unwrap();
    create_all(&conn);
    let tx = conn.transaction().unwrap();
    seed(&tx);
    tx.commit().unwrap();
    url
}

mod concurrent_writers_lose_and_duplicate_nothing_on_postgres {
    use super::*;

    /// Each call on its own (READ COMMITTED).
    #[test]
    fn read_committed() {
        let url = pg_shared();
        let busy = writers(
            || m2m::pg::connect(&url).map_err(|e| format!("connect: {e}")),
            false,
        );
        // Row locks wait (no lock timeout); a deadlock (40P01) is the only
        // busy failure PostgreSQL may report, and writes nothing.
        println!("PostgreSQL READ COMMITTED: {busy} busy (deadlock) failures");
    }

    /// Each call in a serializable transaction, retried while busy.
    #[test]
    fn serializable() {
        let url = pg_shared();
        let before = RETRIES.load(Ordering::Relaxed);
        let busy = writers(
            || m2m::pg::connect(&url).map_err(|e| format!("connect: {e}")),
            true,
        );
        let retries = RETRIES.load(Ordering::Relaxed) - before;
        println!("PostgreSQL SERIALIZABLE: {retries} busy retries");
        assert_eq!(busy, 0, "a call still busy after {MAX_RETRIES} retries");
    }
}

/// `THREADS` threads, each with a connection of its own from `open`, run
/// `OPS` mixed calls each on the seeded database, then the final state is
/// checked; returns how many calls failed busy.
fn writers<C: Conc>(open: impl Fn() -> Result<C, String> + Sync, ser: bool) -> usize {
    let start = Barrier::new(THREADS);
    let logs: Vec<Log> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (open, start) = (&open, &start);
                s.spawn(move || {
                    let mut conn = open()?;
                    start.wait();
                    worker(t, &mut conn, ser).map_err(|e| format!("thread {t}: {e}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("worker panicked")
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    });

    let conn = open().unwrap();
    // No duplicate links in either table (the keys forbid them; prove it).
    for (table, cols) in [
        (Post::LABELS.def().junction_table(), "post_id, label_id"),
        (
            Person::FRIENDS.def().junction_table(),
            "from_person_id, to_person_id",
        ),
        (Member::CLUBS.def().junction_table(), "member_id, club_id"),
    ] {
        let dups = conn.int(&format!(
            "SELECT count(*) FROM (SELECT {cols} FROM \"{table}\" GROUP BY {cols} HAVING count(*) > 1) AS d"
        ));
        assert_eq!(dups, 0, "duplicate links in {table}");
    }
    // Each thread's own owners hold exactly what its calls reported.
    for log in &logs {
        for (&post, want) in &log.posts {
            let got = ids(&Post::LABELS.of_key(post).keys(&conn).unwrap());
            assert_eq!(got, want.iter().copied().collect::<Vec<_>>(), "post {post}");
        }
        for (&member, want) in &log.members {
            let got: BTreeMap<i64, Data> = Member::CLUBS
                .of_key(member)
                .fetch_with_pivot(&conn)
                .unwrap()
                .into_iter()
                .map(|(c, p)| {
                    (
                        c.id,
                        Data {
                            role: p.role,
                            note: p.note,
                        },
                    )
                })
                .collect();
            assert_eq!(&got, want, "member {member}");
        }
    }
    // Contended pairs: links made minus links removed is the final state.
    let mut shared: BTreeMap<i64, i64> = BTreeMap::new();
    let mut friends: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for log in &logs {
        for &(k, d) in &log.shared {
            *shared.entry(k).or_default() += d;
        }
        for &(p, d) in &log.friends {
            *friends.entry(p).or_default() += d;
        }
    }
    let linked = ids(&Post::LABELS.of_key(SHARED_POST).keys(&conn).unwrap());
    for label in 1..=CONTENDED {
        let net = shared.get(&label).copied().unwrap_or(0);
        assert!(net == 0 || net == 1, "label {label}: net {net}");
        assert_eq!(
            linked.contains(&label),
            net == 1,
            "label {label}: net {net}"
        );
    }
    assert!(linked.contains(&(CONTENDED + 1)) && linked.contains(&(CONTENDED + 2)));
    for a in 1..=PEOPLE {
        let mine = ids(&Person::FRIENDS.of_key(a).keys(&conn).unwrap());
        for b in 1..=PEOPLE {
            let pair = (a.min(b), a.max(b));
            let net = friends.get(&pair).copied().unwrap_or(0);
            assert!(net == 0 || net == 1, "friends {pair:?}: net {net}");
            assert_eq!(mine.contains(&b), net == 1, "friends {pair:?}: net {net}");
        }
    }

    let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
    for log in &logs {
        for (k, v) in &log.calls {
            *calls.entry(k).or_default() += v;
        }
    }
    // The shared counter: no increment lost, none counted twice.
    let increments: i64 = logs.iter().map(|l| l.increments).sum();
    let counter = Member::CLUBS
        .of_key(SHARED_MEMBER)
        .pivot(&conn, 1)
        .unwrap()
        .unwrap();
    assert_eq!(
        counter.note,
        Some(increments.to_string()),
        "shared counter after {increments} successful increments"
    );

    let busy: usize = logs.iter().map(|l| l.busy).sum();
    let events: usize = logs.iter().map(|l| l.shared.len() + l.friends.len()).sum();
    let total: usize = calls.values().sum();
    let backend = if conn.is_pg() { "PostgreSQL" } else { "SQLite" };
    println!(
        "concurrency ({backend}, serializable: {ser}): {THREADS} threads, {total} calls, {busy} busy timeouts, \
         {events} contended link changes, {increments} shared increments; calls: {calls:?}"
    );
    assert_eq!(total, THREADS * OPS);
    busy
}

/// Inside a user's deferred transaction that has read before another
/// connection committed, a relation write cannot wait its way through (its
/// snapshot is stale): it fails at once with a busy error, writes nothing,
/// and leaves the user's transaction open for them to roll back and retry.
/// Begun `IMMEDIATE`, the same transaction waits for the lock instead.
#[test]
fn a_stale_deferred_transaction_gets_a_busy_error_and_can_retry() {
    let dir = TempDir::new("stale");
    let path = dir.file("stale.db");
    let mut conn = m2m::open(&path).unwrap();
    create_all(&conn);
    for id in 1..=3 {
        let name = format!("label {id}");
        Label { id, name }.insert(&conn).unwrap();
    }
    let labels = Default::default();
    let post = Post {
        id: 1,
        title: "p".into(),
        body: None,
        labels,
    };
    post.clone().insert(&conn).unwrap();
    let other = m2m::open(&path).unwrap();

    let tx = conn.transaction().unwrap(); // DEFERRED, rusqlite's default
    assert!(post.labels().keys(&tx).unwrap().is_empty()); // a read: the snapshot starts
    Post::LABELS.of_key(1).add(&other, [1]).unwrap(); // committed elsewhere
    let before = snapshot_all(&other);
    let e = post.labels().set(&tx, [2, 3]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    let e = post.labels().add(&tx, [2]).unwrap_err();
    assert!(e.is_busy(), "{e:?}");
    assert!(!tx.is_autocommit(), "the user's transaction is still open");
    assert_eq!(snapshot_all(&other), before, "a busy call wrote nothing");
    tx.rollback().unwrap();
    // The retry, in a transaction begun IMMEDIATE, sees the other write.
    let tx = conn
        .transaction_with_behavior(m2m::rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let r = post.labels().set(&tx, [2, 3]).unwrap();
    assert_eq!(r.removed, vec![Key::new(1)]);
    tx.commit().unwrap();
    let got = Post::LABELS.of_key(1).keys(&other).unwrap();
    assert_eq!(got, vec![Key::new(2), Key::new(3)]);
}

/// `update_pivot` reads the row, runs the closure, then writes: it holds
/// the write lock from the read on (`BEGIN IMMEDIATE`), so another
/// connection cannot commit in between (which would make the write fail
/// with a stale snapshot, or lose the other's change).
#[test]
fn update_pivot_holds_the_write_lock_while_its_closure_runs() {
    let dir = TempDir::new("rmw");
    let path = dir.file("rmw.db");
    let conn = m2m::open(&path).unwrap();
    create_all(&conn);
    Club {
        id: 1,
        name: "c".into(),
    }
    .insert(&conn)
    .unwrap();
    let clubs = Default::default();
    Member {
        id: 1,
        name: "m".into(),
        clubs,
    }
    .insert(&conn)
    .unwrap();
    Member::CLUBS.of_key(1).add(&conn, [1]).unwrap();
    let other = m2m::open(&path).unwrap();
    other
        .busy_timeout(std::time::Duration::from_millis(10))
        .unwrap();

    let mut interloper = None;
    let changed = Member::CLUBS
        .of_key(1)
        .update_pivot(&conn, 1, |p| {
            let r = Member::CLUBS
                .of_key(1)
                .update_pivot(&other, 1, |q| q.role = "other".into());
            interloper = Some(r.map_err(|e| e.is_busy()));
            p.role = "mine".into();
        })
        .unwrap();
    assert!(changed);
    assert_eq!(interloper, Some(Err(true)), "the other writer got in");
    let p = Member::CLUBS.of_key(1).pivot(&other, 1).unwrap().unwrap();
    assert_eq!(p.role, "mine");
}

/// A through model with a counter, for read-modify-write races.
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Tally {
    pub id: i64,
    pub counter_id: i64,
    pub club_id: i64,
    pub count: i64,
}

/// The owner of a relation whose pivot data is a counter.
#[derive(Model, Debug, Clone, PartialEq)]
pub struct Counter {
    pub id: i64,
    #[many_to_many(
        through_model = Tally,
        source = "counter_id",
        target = "club_id",
        related_name = "+"
    )]
    pub clubs: ManyToMany<Club>,
}

/// Threads with their own connections increment one link's counter with
/// `update_pivot`: no increment is lost (its read and its write are one
/// unit holding the write lock) and no call fails.
#[test]
fn concurrent_update_pivot_increments_lose_nothing() {
    let dir = TempDir::new("increments");
    let path = dir.file("count.db");
    increments_race(|| m2m::open(&path).unwrap());
}

/// The same on PostgreSQL (READ COMMITTED): `update_pivot` reads its row
/// `FOR NO KEY UPDATE`, so an increment waits for the one before it.
#[test]
fn concurrent_update_pivot_increments_lose_nothing_on_postgres() {
    let url = m2m_pg_harness::fresh_schema_url();
    increments_race(|| m2m::pg::connect(&url).unwrap());
}

/// The body of the increments race, on connections from `open`.
fn increments_race<C: Db>(open: impl Fn() -> C + Sync) {
    const INCREMENTERS: usize = 4;
    const INCREMENTS: usize = 50;
    {
        let conn = open();
        Club::create_table(&conn).unwrap();
        Counter::create_table(&conn).unwrap();
        let name = "c".to_owned();
        Club { id: 1, name }.insert(&conn).unwrap();
        let clubs = Default::default();
        Counter { id: 1, clubs }.insert(&conn).unwrap();
        assert!(
            Counter::CLUBS
                .of_key(1)
                .add_with(&conn, 1, Tally::default())
                .unwrap()
        );
    }

    let start = Barrier::new(INCREMENTERS);
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..INCREMENTERS)
            .map(|t| {
                let (open, start) = (&open, &start);
                s.spawn(move || {
                    let conn = open();
                    let link = Counter::CLUBS.of_key(1);
                    start.wait();
                    let mut failures = Vec::new();
                    for i in 0..INCREMENTS {
                        match link.update_pivot(&conn, 1, |p| p.count += 1) {
                            Ok(true) => {}
                            Ok(false) => failures.push(format!("thread {t}, call {i}: not linked")),
                            Err(e) => failures.push(format!("thread {t}, call {i}: {e}")),
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("incrementer panicked"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} calls failed: {failures:#?}",
        failures.len()
    );
    let conn = open();
    let tally = Counter::CLUBS.of_key(1).pivot(&conn, 1).unwrap().unwrap();
    assert_eq!(
        tally.count,
        i64::try_from(INCREMENTERS * INCREMENTS).unwrap(),
        "increments lost"
    );
}

/// Names the get-or-create writers fight over.
const SEED_NAMES: usize = 10;
/// Calls per thread in the get-or-create test.
const SEED_CALLS: usize = 200;

/// What one get-or-create thread saw.
#[derive(Default)]
struct SeedLog {
    /// `get_or_insert` calls that inserted, per `g` name.
    inserted: BTreeMap<String, usize>,
    /// The key every call returned, per name (one key per name, or an error).
    keys: BTreeMap<String, i64>,
    /// The `c` names linked to the thread's own post, and to the shared one.
    own: BTreeSet<i64>,
    shared: BTreeSet<i64>,
}

impl SeedLog {
    /// Records the key a call returned for `name`; a name's key never changes.
    fn saw(&mut self, name: String, key: i64) -> Result<(), String> {
        match self.keys.insert(name.clone(), key) {
            Some(old) if old != key => Err(format!("{name}: key {key}, earlier {old}")),
            _ => Ok(()),
        }
    }
}

fn seed_worker(thread: usize, conn: &impl Db) -> Result<SeedLog, String> {
    let mut rng = Rng::new(100 + thread as u64);
    let mut log = SeedLog::default();
    let own = Post::LABELS.of_key(post_id(thread, 0));
    let shared = Post::LABELS.of_key(SHARED_POST);
    for n in 0..SEED_CALLS {
        let k = rng.range(0, SEED_NAMES as i64 - 1);
        // A name `get_or_insert` finds or makes, and one `connect_or_create` does.
        let mut label = Label {
            id: 0,
            name: format!("g{k}"),
        };
        let inserted = label
            .get_or_insert(conn, |c| c.name)
            .map_err(|e| format!("get_or_insert g{k}: {e:?}"))?;
        if inserted {
            *log.inserted.entry(label.name.clone()).or_default() += 1;
        }
        log.saw(label.name, label.id)?;

        let target = Label {
            id: 0,
            name: format!("c{k}"),
        };
        let on = if n % 3 == 0 { &shared } else { &own };
        let linked = on
            .connect_or_create(conn, target, |c| c.name)
            .map_err(|e| format!("connect_or_create c{k}: {e:?}"))?;
        if n % 3 == 0 {
            log.shared.insert(linked.id);
        } else {
            log.own.insert(linked.id);
        }
        log.saw(linked.name, linked.id)?;
    }
    Ok(log)
}

/// Four writers, each with its own connection to one WAL file, find or
/// create the same ten rows by name, many times each, with `get_or_insert`
/// and `connect_or_create`: no call fails (no busy timeout, no unique
/// violation), each row is inserted once, every call returns its one key,
/// and each post holds exactly the links its callers made.
#[test]
fn concurrent_get_or_create_inserts_each_row_once_and_never_fails() {
    let dir = TempDir::new("get-or-create");
    let path = dir.file("seed.db");
    get_or_create_race(|| m2m::open(&path).unwrap());
}

/// The same on PostgreSQL (READ COMMITTED): a conflicting insert waits for
/// the other transaction, then finds its row.
#[test]
fn concurrent_get_or_create_inserts_each_row_once_and_never_fails_on_postgres() {
    let url = m2m_pg_harness::fresh_schema_url();
    get_or_create_race(|| m2m::pg::connect(&url).unwrap());
}

/// The body of the get-or-create race, on connections from `open`.
fn get_or_create_race<C: TestDb>(open: impl Fn() -> C + Sync) {
    {
        let conn = open();
        create_all(&conn);
        for t in 0..THREADS {
            for id in [SHARED_POST, post_id(t, 0)] {
                let labels = Default::default();
                let title = format!("post {id}");
                let mut post = Post {
                    id,
                    title,
                    body: None,
                    labels,
                };
                post.get_or_insert(&conn, |c| c.id).unwrap();
            }
        }
        // Every insert into the label table, as committed.
        if conn.is_pg() {
            conn.exec(
                "CREATE TABLE label_log (name TEXT NOT NULL);
                 CREATE FUNCTION label_log() RETURNS trigger LANGUAGE plpgsql AS $f$
                 BEGIN INSERT INTO label_log VALUES (NEW.name); RETURN NEW; END $f$;
                 CREATE TRIGGER label_log AFTER INSERT ON label FOR EACH ROW EXECUTE FUNCTION label_log();",
            );
        } else {
            conn.exec(
                "CREATE TABLE label_log (name TEXT NOT NULL);
                 CREATE TRIGGER label_log AFTER INSERT ON label BEGIN INSERT INTO label_log VALUES (new.name); END;",
            );
        }
    }

    let start = Barrier::new(THREADS);
    let logs: Vec<SeedLog> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (open, start) = (&open, &start);
                s.spawn(move || {
                    let conn = open();
                    start.wait();
                    seed_worker(t, &conn).map_err(|e| format!("thread {t}: {e}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .expect("worker panicked")
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    });

    let conn = open();
    assert_eq!(conn.rows_in("label"), 2 * SEED_NAMES as i64);
    let mut per_name: BTreeMap<String, i64> = BTreeMap::new();
    for row in conn.texts("SELECT name, count(*) FROM label_log GROUP BY name") {
        per_name.insert(row[0].clone(), row[1].parse().unwrap());
    }
    assert_eq!(per_name.len(), 2 * SEED_NAMES);
    assert!(per_name.values().all(|&n| n == 1), "inserts: {per_name:?}");

    // `get_or_insert` said `true` exactly once per name, over all threads.
    let mut inserted: BTreeMap<String, usize> = BTreeMap::new();
    for log in &logs {
        for (name, n) in &log.inserted {
            *inserted.entry(name.clone()).or_default() += n;
        }
    }
    let drawn: BTreeSet<&String> = logs
        .iter()
        .flat_map(|l| l.keys.keys())
        .filter(|n| n.starts_with('g'))
        .collect();
    assert_eq!(drawn.len(), SEED_NAMES, "every name drawn");
    assert_eq!(inserted.len(), SEED_NAMES, "{inserted:?}");
    assert!(inserted.values().all(|&n| n == 1), "{inserted:?}");

    // Every thread saw the stored key of each name (names are `g0`, `c3`, ...).
    for log in &logs {
        for (name, &key) in &log.keys {
            let stored = conn.int(&format!("SELECT id FROM label WHERE name = '{name}'"));
            assert_eq!(key, stored, "{name}");
        }
    }

    // Each post holds exactly the links made to it.
    let mut shared: BTreeSet<i64> = BTreeSet::new();
    for (t, log) in logs.iter().enumerate() {
        let got = ids(&Post::LABELS.of_key(post_id(t, 0)).keys(&conn).unwrap());
        assert_eq!(
            got,
            log.own.iter().copied().collect::<Vec<_>>(),
            "post of thread {t}"
        );
        shared.extend(&log.shared);
    }
    let got = ids(&Post::LABELS.of_key(SHARED_POST).keys(&conn).unwrap());
    assert_eq!(got, shared.into_iter().collect::<Vec<_>>(), "shared post");
}
