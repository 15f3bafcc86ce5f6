use super::*;

/// The value of `key` in a libpq `key=value` connection string.
fn param<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    url.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn shared_server_answers() {
    let url = url();
    assert_eq!(url, super::url(), "one server per process");
    if env_url().is_none() {
        let host = param(&url, "host").expect("host in the url");
        let port: u16 = param(&url, "port")
            .expect("port in the url")
            .parse()
            .unwrap();
        std::net::TcpStream::connect((host, port)).expect("the server's port answers");
    }
    assert_eq!(psql(&url, "select 1").unwrap(), "1");
}

#[test]
fn fresh_schemas_are_separate() {
    let a = fresh_schema_url();
    let b = fresh_schema_url();
    assert_ne!(a, b);
    let schema = |url: &str| psql(url, "select current_schema()").unwrap();
    let (sa, sb) = (schema(&a), schema(&b));
    assert!(
        sa.starts_with("t_") && sb.starts_with("t_") && sa != sb,
        "{sa} {sb}"
    );
    // Both exist, and a table made through one is not visible through the other.
    let count = psql(
        &url(),
        &format!("select count(*) from pg_namespace where nspname in ('{sa}', '{sb}')"),
    )
    .unwrap();
    assert_eq!(count, "2");
    psql(&a, "create table item (id int)").unwrap();
    psql(&b, "create table item (name text)").unwrap();
    psql(&a, "insert into item values (1)").unwrap();
    assert_eq!(psql(&b, "select count(*) from item").unwrap(), "0");
}

#[test]
fn fresh_database() {
    let url = fresh_database_url();
    let db = psql(&url, "select current_database()").unwrap();
    assert!(db.starts_with("d_"), "{db}");
    assert!(url.contains(&db), "{url}");
}

#[test]
fn with_param_forms() {
    assert_eq!(
        with_param("host=h dbname=x", "options", "-csearch_path=t_1"),
        "host=h dbname=x options='-csearch_path=t_1'"
    );
    assert_eq!(
        with_param("postgresql://u@h:5/x?sslmode=disable", "dbname", "d_1"),
        "postgresql://u@h:5/d_1?sslmode=disable"
    );
    assert_eq!(
        with_param("postgres://h", "dbname", "d_1"),
        "postgres://h/d_1"
    );
    assert_eq!(
        with_param("postgres://h/x", "options", "-csearch_path=t_1"),
        "postgres://h/x?options=-csearch_path%3Dt_1"
    );
}

#[test]
fn standby_replays_the_primary() {
    let started = Instant::now();
    let pair = standby();
    eprintln!(
        "primary and standby up in {} ms",
        started.elapsed().as_millis()
    );
    let (primary, replica) = (pair.primary_url(), pair.standby_url());
    assert_ne!(primary, replica);
    psql(
        &primary,
        "create table t (v text); insert into t values ('hello')",
    )
    .unwrap();
    let lsn = psql(&primary, CURRENT_LSN_SQL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while psql(&replica, &wait_for_replay_sql(&lsn)).unwrap() != "t" {
        assert!(
            Instant::now() < deadline,
            "the standby did not replay {lsn} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(psql(&replica, "select v from t").unwrap(), "hello");
    assert_eq!(psql(&replica, "select pg_is_in_recovery()").unwrap(), "t");
    let err = psql(&replica, "insert into t values ('no')").unwrap_err();
    assert!(err.contains("read-only"), "{err}");

    let dir = pair.dir.path.clone();
    drop(pair);
    assert!(!dir.exists(), "{} is removed on drop", dir.display());
}
