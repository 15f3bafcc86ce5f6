//! Atomicity under faults: writes made to fail part-way, alone and inside a
//! user's transaction.
//!
//! Faults: a trigger that aborts on one chosen pair (the call has already
//! written other rows when it fires), a foreign-key violation in the middle
//! of a batch, a full database (`PRAGMA max_page_count`), and a busy database
//! (another connection holds the write lock; the test connection's busy
//! timeout is short). After each failure:
//!
//! - every table (junction, through and target tables, with rowids and
//!   pivot values) is exactly as before the call;
//! - the error says what happened (the trigger's message, `MissingTarget` /
//!   `MissingOwner`, `SQLITE_FULL`, [`Error::is_busy`]);
//! - the connection is usable: once the fault is gone the same call succeeds;
//! - a user's transaction is still open, its earlier writes are there, and it
//!   commits with them.
//!
//! On PostgreSQL (each `…::postgres` test) the trigger is a plpgsql
//! function raising an exception, and the busy fault is another connection
//! holding row locks on the junction and an `EXCLUSIVE` lock on every table
//! while the test connection runs with `lock_timeout = '100ms'` (a lock
//! timeout, 55P03, [`Error::is_busy`]); there is no full-database fault.

use std::cell::RefCell;

use m2m::pg::PgConnection;
use m2m::rusqlite::{Connection, ErrorCode};
use m2m::{Db, Error, Model, RelationDef, SyncMode};

use crate::backend::{FaultDb, TestDb};

use crate::model_based::GHOST;
use crate::models::*;

/// Rows of each model made for a full-database fault: their links need many
/// more pages than an empty junction has.
const BIG: i64 = 1_500;
/// Rows of each model otherwise.
const SMALL: i64 = 8;
/// The target the trigger aborts on (and a live key otherwise).
const BAD: i64 = 6;
/// A key no fault touches, used in the retried call instead of [`GHOST`].
const GOOD: i64 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `RAISE(ABORT)` from a trigger on the insert of one pair.
    Trigger,
    /// A key with no row in the middle of the batch (for `create`: an owner
    /// with no row, discovered after the target was inserted).
    ForeignKey,
    /// The database may not grow (`PRAGMA max_page_count`).
    Full,
    /// Another connection holds the write lock.
    Busy,
}

/// The call under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `Post.labels` add.
    Add,
    /// `Post.labels` set (removes a link before adding).
    Set,
    SyncReplace,
    SyncAdd,
    /// `Post.labels` toggle (unlinks a linked target before adding).
    Toggle,
    /// `Post.labels` create (the target row is inserted before the link).
    Create,
    /// `Post.labels` connect_or_create of a new target (inserted, then linked).
    ConnectOrCreate,
    /// `Member.clubs` set: the kept link's through row must survive as it was.
    ThroughSet,
    /// `Member.clubs` add_with (one row, with pivot data).
    AddWith,
    /// `Member.clubs` sync_with Replace: updates a kept link's data, removes
    /// one, then inserts row by row.
    SyncWith,
    /// `Member.clubs` update_pivot (one row's data).
    UpdatePivot,
    /// `Club.members` sync_with Add, from the reverse side.
    ReverseSyncWith,
    /// `Person.friends` set from the larger key of a stored pair.
    FriendsSet,
    /// `Person.friends` toggle.
    FriendsToggle,
}

impl Op {
    /// The accessor's owner and its relation.
    fn owner(self) -> (i64, &'static RelationDef) {
        match self {
            Op::Add
            | Op::Set
            | Op::SyncReplace
            | Op::SyncAdd
            | Op::Toggle
            | Op::Create
            | Op::ConnectOrCreate => (1, Post::LABELS.def()),
            Op::ThroughSet | Op::AddWith | Op::SyncWith | Op::UpdatePivot => {
                (1, Member::CLUBS.def())
            }
            Op::ReverseSyncWith => (1, Club::MEMBERS.def()),
            Op::FriendsSet | Op::FriendsToggle => (4, Person::FRIENDS.def()),
        }
    }
}

/// Rows 1..=n of every model, and a few links with pivot data:
/// post 1 → labels 1, 2; post 2 → label 1; friends 1–2, 1–3, 1–4;
/// member 1 → club 1 (`a`), club 2 (`b`, `n`); member 2 → club 1.
fn populate(tx: &impl Db, n: i64) {
    for i in 1..=n {
        Label {
            id: i,
            name: format!("label {i}"),
        }
        .insert(tx)
        .unwrap();
        Person {
            id: i,
            name: format!("person {i}"),
            friends: Default::default(),
        }
        .insert(tx)
        .unwrap();
        Club {
            id: i,
            name: format!("club {i}"),
        }
        .insert(tx)
        .unwrap();
        Member {
            id: i,
            name: format!("member {i}"),
            clubs: Default::default(),
        }
        .insert(tx)
        .unwrap();
    }
    for i in 1..=2 {
        Post {
            id: i,
            title: format!("post {i}"),
            body: None,
            labels: Default::default(),
        }
        .insert(tx)
        .unwrap();
    }
    Post::LABELS.of_key(1).add(tx, [1, 2]).unwrap();
    Post::LABELS.of_key(2).add(tx, [1]).unwrap();
    Person::FRIENDS.of_key(1).add(tx, [2, 3, 4]).unwrap();
    let m1 = Member::CLUBS.of_key(1);
    m1.add_with(tx, 1, membership("a", None)).unwrap();
    m1.add_with(tx, 2, membership("b", Some("n"))).unwrap();
    Member::CLUBS.of_key(2).add(tx, [1]).unwrap();
}

/// A SQLite scenario's database: a file (so another connection can lock it).
fn fixture(n: i64) -> (Connection, TempDir) {
    let dir = TempDir::new("faults");
    let conn = m2m::open(dir.file("faults.db")).unwrap();
    create_all(&conn);
    let tx = conn.unchecked_transaction().unwrap();
    populate(&tx, n);
    tx.commit().unwrap();
    (conn, dir)
}

/// A PostgreSQL scenario's database: a schema of its own, and its url (so
/// another connection can lock it, and a fresh one read what was committed).
fn pg_fixture(n: i64) -> (PgConnection, String) {
    let url = m2m_pg_harness::fresh_schema_url();
    let mut conn = m2m::pg::connect(&url).unwrap();
    create_all(&conn);
    let tx = conn.transaction().unwrap();
    populate(&tx, n);
    tx.commit().unwrap();
    (conn, url)
}

fn membership(role: &str, note: Option<&str>) -> Membership {
    Membership {
        role: role.to_owned(),
        note: note.map(str::to_owned),
        ..Default::default()
    }
}

/// The targets a call names: for a full database, enough of them to need
/// new pages (so the write fails part-way); otherwise three good keys with
/// `bad` in the middle.
fn targets(fault: Fault, bad: i64) -> Vec<i64> {
    if fault == Fault::Full {
        (3..=BIG).collect()
    } else {
        vec![3, 4, bad, 5]
    }
}

/// Runs `op` naming `bad` where the fault strikes.
fn run(op: Op, fault: Fault, conn: &impl Db, bad: i64) -> m2m::Result<()> {
    let ts = targets(fault, bad);
    let post = Post::LABELS.of_key(1);
    let member = Member::CLUBS.of_key(1);
    // Full: pivot data large enough that a few rows fill the pages left
    // (one row, for the single row of `add_with`).
    let note = match (fault, op) {
        (Fault::Full, Op::AddWith | Op::UpdatePivot) => Some("n".repeat(1 << 20)),
        (Fault::Full, _) => Some("n".repeat(2_000)),
        _ => None,
    };
    let data = |role: &str| membership(role, note.as_deref());
    match op {
        Op::Add => post.add(conn, ts).map(drop),
        Op::Set => post.set(conn, ts).map(drop),
        Op::SyncReplace => post.sync(conn, ts, SyncMode::Replace).map(drop),
        Op::SyncAdd => post.sync(conn, ts, SyncMode::Add).map(drop),
        Op::Toggle => post.toggle(conn, [1].into_iter().chain(ts)).map(drop),
        Op::Create => {
            // The foreign-key fault: an owner that does not exist.
            let owner = if bad == GHOST { GHOST } else { 1 };
            let name = if fault == Fault::Full {
                "x".repeat(1 << 20)
            } else {
                "created".to_owned()
            };
            Post::LABELS
                .of_key(owner)
                .create(conn, Label { id: 0, name })
                .map(drop)
        }
        Op::ConnectOrCreate => {
            // The foreign-key fault: an owner that does not exist.
            let owner = if bad == GHOST { GHOST } else { 1 };
            let name = if fault == Fault::Full {
                "y".repeat(1 << 20)
            } else {
                "connected".to_owned()
            };
            Post::LABELS
                .of_key(owner)
                .connect_or_create(conn, Label { id: 0, name }, |c| c.name)
                .map(drop)
        }
        Op::ThroughSet => member.set(conn, [1].into_iter().chain(ts)).map(drop),
        Op::AddWith => {
            let target = add_with_target(fault, bad);
            member.add_with(conn, target, data("added")).map(drop)
        }
        Op::SyncWith => {
            let items = [(1, data("changed"))]
                .into_iter()
                .chain(ts.into_iter().map(|t| (t, data("new"))));
            member.sync_with(conn, items, SyncMode::Replace).map(drop)
        }
        Op::UpdatePivot => {
            let changed = member.update_pivot(conn, 1, |p| {
                p.role = "changed".into();
                p.note.clone_from(&note);
            })?;
            assert!(changed, "club 1 is linked");
            Ok(())
        }
        Op::ReverseSyncWith => {
            let items = [(1, data("changed"))]
                .into_iter()
                .chain(ts.into_iter().map(|t| (t, data("new"))));
            Club::MEMBERS
                .of_key(1)
                .sync_with(conn, items, SyncMode::Add)
                .map(drop)
        }
        Op::FriendsSet => Person::FRIENDS
            .of_key(4)
            .set(conn, [4].into_iter().chain(ts))
            .map(drop),
        Op::FriendsToggle => Person::FRIENDS
            .of_key(4)
            .toggle(conn, [1].into_iter().chain(ts))
            .map(drop),
    }
}

/// The one target of `add_with`: `bad`, or a free key when the fault is the
/// size of the pivot data.
fn add_with_target(fault: Fault, bad: i64) -> i64 {
    match fault {
        Fault::Full => 3,
        Fault::ForeignKey => bad,
        Fault::Trigger | Fault::Busy => BAD,
    }
}

/// The condition on which the trigger aborts the insert of (owner, `bad`)
/// into `def`'s junction; with no `bad`, any insert from the owner.
fn trigger_when(def: &RelationDef, owner: i64, bad: Option<i64>) -> String {
    let (s, t) = (def.source(), def.target());
    match bad {
        None => format!(r#"NEW."{s}" = {owner}"#),
        Some(bad) if def.symmetrical() => format!(
            r#"NEW."{s}" = {} AND NEW."{t}" = {}"#,
            owner.min(bad),
            owner.max(bad)
        ),
        Some(bad) => format!(r#"NEW."{s}" = {owner} AND NEW."{t}" = {bad}"#),
    }
}

fn check_error(op: Op, fault: Fault, e: &Error) {
    let code = e
        .sqlite_error()
        .and_then(m2m::rusqlite::Error::sqlite_error_code);
    match fault {
        Fault::Trigger => assert!(e.to_string().contains("boom"), "{op:?}: {e:?}"),
        Fault::ForeignKey if matches!(op, Op::Create | Op::ConnectOrCreate) => {
            assert!(matches!(e, Error::MissingOwner { .. }), "{op:?}: {e:?}")
        }
        Fault::ForeignKey => assert!(
            matches!(e, Error::MissingTarget { key, .. } if *key == GHOST.to_string()),
            "{op:?}: {e:?}"
        ),
        Fault::Full => assert_eq!(code, Some(ErrorCode::DiskFull), "{op:?}: {e:?}"),
        Fault::Busy => assert!(e.is_busy(), "{op:?}: {e:?}"),
    }
}

/// The user's writes before the failing call, inside their transaction.
fn earlier_writes(conn: &impl Db) {
    Label {
        id: 0,
        name: "written in the transaction".into(),
    }
    .insert(conn)
    .unwrap();
    Post::LABELS.of_key(2).add(conn, [3]).unwrap();
    Member::CLUBS
        .of_key(2)
        .add_with(conn, 3, membership("in tx", None))
        .unwrap();
}

fn earlier_writes_present(conn: &impl Db) -> bool {
    let label = Label::query()
        .filter(|c| c.name.eq("written in the transaction"))
        .exists(conn)
        .unwrap();
    let link = Post::LABELS.of_key(2).contains(conn, 3).unwrap();
    let pivot = Member::CLUBS.of_key(2).pivot(conn, 3).unwrap();
    label && link && pivot.is_some_and(|p| p.role == "in tx")
}

/// The failing call and what it must leave, on `conn` (the connection, or
/// the user's transaction when `in_tx`): arms the fault, checks the failure,
/// takes the fault away and runs the call again. `busy(true)` makes another
/// connection hold the locks, `busy(false)` lets them go.
fn fail_then_retry(
    conn: &impl FaultDb,
    op: Op,
    fault: Fault,
    in_tx: bool,
    what: &str,
    busy: &mut dyn FnMut(bool),
) {
    let (owner, def) = op.owner();
    let bad = if fault == Fault::ForeignKey {
        GHOST
    } else {
        BAD
    };
    if in_tx {
        if fault == Fault::Busy {
            // Another connection holds the write lock: the user can only read.
            Post::LABELS.of_key(1).count(conn).unwrap();
        } else {
            earlier_writes(conn);
        }
    }
    // Arm the fault.
    let j = def.junction_table();
    match fault {
        Fault::Trigger if op == Op::UpdatePivot => {
            conn.abort_on(j, "UPDATE", &format!(r#"OLD."{}" = {owner}"#, def.source()));
        }
        Fault::Trigger => {
            let bad = (!matches!(op, Op::Create | Op::ConnectOrCreate)).then_some(bad);
            conn.abort_on(j, "INSERT", &trigger_when(def, owner, bad));
        }
        Fault::Full => {
            let pages = conn.int("PRAGMA page_count");
            let max = conn.int(&format!("PRAGMA max_page_count = {pages}"));
            assert_eq!(max, pages);
        }
        Fault::Busy => {
            busy(true);
            // PostgreSQL: a lock wait fails after 100 ms (55P03, busy).
            conn.exec(if conn.is_pg() {
                "SET lock_timeout = '100ms'"
            } else {
                "PRAGMA busy_timeout = 20"
            });
        }
        Fault::ForeignKey => {}
    }

    let before = snapshot_all(conn);
    let e = match run(op, fault, conn, bad) {
        Ok(()) => panic!("{what}: the call succeeded"),
        Err(e) => e,
    };
    check_error(op, fault, &e);
    assert_eq!(
        conn.in_transaction(),
        in_tx,
        "{what}: transaction state (false: the user's transaction is gone)"
    );
    // The connection (and the user's transaction) still answers.
    assert_eq!(
        conn.int("SELECT 1"),
        1,
        "{what}: the connection after the error"
    );
    let after = snapshot_all(conn);
    for (table, rows) in &before {
        let now = after.get(table).map_or(&[][..], Vec::as_slice);
        assert!(
            now == rows.as_slice(),
            "{what}: table {table} changed\n{}",
            diff(rows, now)
        );
    }
    assert_eq!(after.len(), before.len(), "{what}: tables");
    if in_tx && fault != Fault::Busy {
        assert!(earlier_writes_present(conn), "{what}: the user's writes");
    }

    // Take the fault away: the same call now succeeds on the same connection.
    match fault {
        Fault::Trigger => conn.drop_abort(j),
        Fault::Full => {
            conn.int("PRAGMA max_page_count = 1073741823");
        }
        Fault::Busy => {
            busy(false);
            if conn.is_pg() {
                conn.exec("RESET lock_timeout");
            }
        }
        Fault::ForeignKey => {}
    }
    let bad = if fault == Fault::ForeignKey {
        GOOD
    } else {
        bad
    };
    if let Err(e) = run(op, fault, conn, bad) {
        panic!("{what}: the call fails once the fault is gone: {e:?}");
    }
    assert_eq!(
        conn.in_transaction(),
        in_tx,
        "{what}: the user's transaction"
    );
}

/// One scenario on SQLite: `op` fails under `fault`, alone or inside a
/// user's transaction; see the module docs for what is checked.
fn scenario(op: Op, fault: Fault, in_tx: bool) {
    let what = format!("{op:?} under {fault:?}, in a transaction: {in_tx}");
    let (conn, dir) = fixture(if fault == Fault::Full { BIG } else { SMALL });
    let conn = &conn;
    if in_tx {
        conn.execute_batch("BEGIN").unwrap();
    }
    let mut locker = None;
    let mut busy = |on: bool| {
        if on {
            let other = m2m::open(dir.file("faults.db")).unwrap();
            other.execute_batch("BEGIN IMMEDIATE").unwrap();
            locker = Some(other);
        } else if let Some(other) = locker.take() {
            other.execute_batch("ROLLBACK").unwrap();
        }
    };
    fail_then_retry(conn, op, fault, in_tx, &what, &mut busy);
    if in_tx {
        conn.execute_batch("COMMIT")
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    }
    assert!(conn.is_autocommit(), "{what}: left a transaction open");

    // What was committed is what a new connection reads.
    let fresh = m2m::open(dir.file("faults.db")).unwrap();
    if in_tx && fault != Fault::Busy {
        assert!(earlier_writes_present(&fresh), "{what}: the user's writes");
    }
    assert!(
        retried_call_visible(op, fault, &fresh),
        "{what}: the retried call"
    );
}

/// Another PostgreSQL connection that holds row locks on every junction
/// row and an `EXCLUSIVE` lock on every table (reads pass, writes wait),
/// in an open transaction.
fn pg_locker(url: &str) -> PgConnection {
    let other = m2m::pg::connect(url).unwrap();
    let tables: Vec<String> = other
        .texts(
            "SELECT format('%I', table_name) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let mut sql = "BEGIN;".to_owned();
    for j in [
        Post::LABELS.def(),
        Member::CLUBS.def(),
        Person::FRIENDS.def(),
    ]
    .map(RelationDef::junction_table)
    {
        sql += &format!("SELECT 1 FROM \"{j}\" FOR UPDATE;");
    }
    sql += &format!("LOCK TABLE {} IN EXCLUSIVE MODE;", tables.join(", "));
    other.exec(&sql);
    other
}

/// One scenario on PostgreSQL (see [`scenario`]); inside the user's
/// transaction, a savepoint made after the retried call also rolls back.
fn pg_scenario(op: Op, fault: Fault, in_tx: bool) {
    let what = format!("PostgreSQL: {op:?} under {fault:?}, in a transaction: {in_tx}");
    let (mut conn, url) = pg_fixture(SMALL);
    let locker = RefCell::new(None);
    let mut busy = |on: bool| {
        if on {
            *locker.borrow_mut() = Some(pg_locker(&url));
        } else if let Some(other) = locker.borrow_mut().take() {
            other.exec("ROLLBACK");
        }
    };
    if in_tx {
        let mut tx = conn.transaction().unwrap();
        fail_then_retry(&tx, op, fault, true, &what, &mut busy);
        {
            let sp = tx.savepoint().unwrap();
            Label {
                id: 0,
                name: "rolled back".into(),
            }
            .insert(&sp)
            .unwrap();
            sp.rollback().unwrap();
        }
        assert_eq!(
            tx.int("SELECT count(*) FROM label WHERE name = 'rolled back'"),
            0,
            "{what}: rolling back to a savepoint"
        );
        tx.commit()
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    } else {
        fail_then_retry(&conn, op, fault, false, &what, &mut busy);
    }
    assert!(!conn.in_transaction(), "{what}: left a transaction open");

    let fresh = m2m::pg::connect(&url).unwrap();
    if in_tx && fault != Fault::Busy {
        assert!(earlier_writes_present(&fresh), "{what}: the user's writes");
    }
    assert!(
        retried_call_visible(op, fault, &fresh),
        "{what}: the retried call"
    );
}

/// The rows only in `before` and only in `after` (cut short).
fn diff(before: &[Vec<String>], after: &[Vec<String>]) -> String {
    let short = |row: &Vec<String>| {
        let mut s = format!("{row:?}");
        s.truncate(200);
        s
    };
    let gone: Vec<String> = before
        .iter()
        .filter(|r| !after.contains(r))
        .take(5)
        .map(short)
        .collect();
    let new: Vec<String> = after
        .iter()
        .filter(|r| !before.contains(r))
        .take(5)
        .map(short)
        .collect();
    format!("rows gone: {gone:#?}\nrows new: {new:#?}")
}

/// A link only the successful retry of `op` made.
fn retried_call_visible(op: Op, fault: Fault, conn: &impl Db) -> bool {
    let last = if fault == Fault::Full { BIG } else { 5 };
    match op {
        Op::Add | Op::Set | Op::SyncReplace | Op::SyncAdd | Op::Toggle => {
            Post::LABELS.of_key(1).contains(conn, last).unwrap()
        }
        Op::Create => Post::LABELS
            .of_key(1)
            .filter(|c| c.name.eq("created").or(c.name.like("xxxx%")))
            .exists(conn)
            .unwrap(),
        Op::ConnectOrCreate => Post::LABELS
            .of_key(1)
            .filter(|c| c.name.eq("connected").or(c.name.like("yyyy%")))
            .exists(conn)
            .unwrap(),
        Op::ThroughSet | Op::SyncWith => Member::CLUBS.of_key(1).contains(conn, last).unwrap(),
        Op::AddWith => Member::CLUBS
            .of_key(1)
            .pivot(conn, add_with_target(fault, GOOD))
            .unwrap()
            .is_some_and(|p| p.role == "added"),
        Op::UpdatePivot => Member::CLUBS
            .of_key(1)
            .pivot(conn, 1)
            .unwrap()
            .is_some_and(|p| p.role == "changed"),
        Op::ReverseSyncWith => Club::MEMBERS.of_key(1).contains(conn, last).unwrap(),
        Op::FriendsSet | Op::FriendsToggle => {
            Person::FRIENDS.of_key(last).contains(conn, 4).unwrap()
        }
    }
}

fn both(op: Op, fault: Fault) {
    scenario(op, fault, false);
    scenario(op, fault, true);
}

fn pg_both(op: Op, fault: Fault) {
    pg_scenario(op, fault, false);
    pg_scenario(op, fault, true);
}

/// Each scenario as `name::sqlite` and `name::postgres`.
macro_rules! fault_tests {
    ($($name:ident: $op:ident, $fault:ident;)*) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::both(super::Op::$op, super::Fault::$fault);
            }

            #[test]
            fn postgres() {
                super::pg_both(super::Op::$op, super::Fault::$fault);
            }
        }
    )*};
}

/// SQLite only: PostgreSQL has no `max_page_count`.
macro_rules! sqlite_fault_tests {
    ($($name:ident: $op:ident, $fault:ident;)*) => {$(
        #[test]
        fn $name() {
            both(Op::$op, Fault::$fault);
        }
    )*};
}

fault_tests! {
    add_rolls_back_on_trigger_abort: Add, Trigger;
    add_rolls_back_on_foreign_key_violation: Add, ForeignKey;
    add_rolls_back_on_busy_database: Add, Busy;
    set_rolls_back_on_trigger_abort: Set, Trigger;
    set_rolls_back_on_foreign_key_violation: Set, ForeignKey;
    set_rolls_back_on_busy_database: Set, Busy;
    sync_replace_rolls_back_on_trigger_abort: SyncReplace, Trigger;
    sync_replace_rolls_back_on_foreign_key_violation: SyncReplace, ForeignKey;
    sync_replace_rolls_back_on_busy_database: SyncReplace, Busy;
    sync_add_rolls_back_on_trigger_abort: SyncAdd, Trigger;
    sync_add_rolls_back_on_foreign_key_violation: SyncAdd, ForeignKey;
    sync_add_rolls_back_on_busy_database: SyncAdd, Busy;
    toggle_rolls_back_on_trigger_abort: Toggle, Trigger;
    toggle_rolls_back_on_foreign_key_violation: Toggle, ForeignKey;
    toggle_rolls_back_on_busy_database: Toggle, Busy;
    create_rolls_back_on_trigger_abort: Create, Trigger;
    create_rolls_back_on_foreign_key_violation: Create, ForeignKey;
    create_rolls_back_on_busy_database: Create, Busy;
    connect_or_create_rolls_back_on_trigger_abort: ConnectOrCreate, Trigger;
    connect_or_create_rolls_back_on_foreign_key_violation: ConnectOrCreate, ForeignKey;
    connect_or_create_rolls_back_on_busy_database: ConnectOrCreate, Busy;
    through_set_rolls_back_on_trigger_abort: ThroughSet, Trigger;
    through_set_rolls_back_on_foreign_key_violation: ThroughSet, ForeignKey;
    through_set_rolls_back_on_busy_database: ThroughSet, Busy;
    add_with_rolls_back_on_trigger_abort: AddWith, Trigger;
    add_with_rolls_back_on_foreign_key_violation: AddWith, ForeignKey;
    add_with_rolls_back_on_busy_database: AddWith, Busy;
    sync_with_rolls_back_on_trigger_abort: SyncWith, Trigger;
    sync_with_rolls_back_on_foreign_key_violation: SyncWith, ForeignKey;
    sync_with_rolls_back_on_busy_database: SyncWith, Busy;
    update_pivot_rolls_back_on_trigger_abort: UpdatePivot, Trigger;
    update_pivot_rolls_back_on_busy_database: UpdatePivot, Busy;
    reverse_sync_with_rolls_back_on_trigger_abort: ReverseSyncWith, Trigger;
    reverse_sync_with_rolls_back_on_foreign_key_violation: ReverseSyncWith, ForeignKey;
    reverse_sync_with_rolls_back_on_busy_database: ReverseSyncWith, Busy;
    friends_set_rolls_back_on_trigger_abort: FriendsSet, Trigger;
    friends_set_rolls_back_on_foreign_key_violation: FriendsSet, ForeignKey;
    friends_set_rolls_back_on_busy_database: FriendsSet, Busy;
    friends_toggle_rolls_back_on_trigger_abort: FriendsToggle, Trigger;
    friends_toggle_rolls_back_on_foreign_key_violation: FriendsToggle, ForeignKey;
    friends_toggle_rolls_back_on_busy_database: FriendsToggle, Busy;
}

sqlite_fault_tests! {
    add_rolls_back_on_full_database: Add, Full;
    set_rolls_back_on_full_database: Set, Full;
    sync_replace_rolls_back_on_full_database: SyncReplace, Full;
    sync_add_rolls_back_on_full_database: SyncAdd, Full;
    toggle_rolls_back_on_full_database: Toggle, Full;
    create_rolls_back_on_full_database: Create, Full;
    connect_or_create_rolls_back_on_full_database: ConnectOrCreate, Full;
    through_set_rolls_back_on_full_database: ThroughSet, Full;
    add_with_rolls_back_on_full_database: AddWith, Full;
    sync_with_rolls_back_on_full_database: SyncWith, Full;
    update_pivot_rolls_back_on_full_database: UpdatePivot, Full;
    reverse_sync_with_rolls_back_on_full_database: ReverseSyncWith, Full;
    friends_set_rolls_back_on_full_database: FriendsSet, Full;
    friends_toggle_rolls_back_on_full_database: FriendsToggle, Full;
}

dual! {
    /// A constraint of the through model other than the pair (here a unique
    /// `seat`) refusing a new link is an error, never mistaken for "the link
    /// exists": `add_with` must not answer `false`, `add` must not count one
    /// link of two, `sync_with` must not report a link it did not make, and
    /// nothing of the call is written.
    fn a_pivot_constraint_violation_is_an_error_not_an_existing_link() {
        let conn = db();
        for id in 1..=3 {
            let name = format!("{id}");
            Show {
                id,
                name: name.clone(),
            }
            .insert(&conn)
            .unwrap();
            let shows = Default::default();
            Fan { id, name, shows }.insert(&conn).unwrap();
        }
        let seat = |s: &str| Ticket {
            seat: s.to_owned(),
            ..Default::default()
        };
        let fan1 = Fan::SHOWS.of_key(1);
        let fan2 = Fan::SHOWS.of_key(2);
        assert!(fan1.add_with(&conn, 1, seat("A1")).unwrap());
        let before = snapshot_all(&conn);

        let r = fan2.add_with(&conn, 1, seat("A1"));
        assert!(
            matches!(&r, Err(e) if e.is_unique_violation()),
            "add_with of a sold seat: {r:?}"
        );
        // Two new links with the default seat "": the second cannot be made.
        let r = fan2.add(&conn, [2, 3]);
        assert!(
            matches!(&r, Err(e) if e.is_unique_violation()),
            "add of two links with one seat: {r:?}"
        );
        let r = fan2.sync_with(&conn, [(2, seat("A1"))], SyncMode::Add);
        assert!(
            matches!(&r, Err(e) if e.is_unique_violation()),
            "sync_with of a sold seat: {r:?}"
        );
        let r = Show::FANS
            .of_key(3)
            .sync_with(&conn, [(2, seat("A1"))], SyncMode::Replace);
        assert!(
            matches!(&r, Err(e) if e.is_unique_violation()),
            "reverse sync_with of a sold seat: {r:?}"
        );
        assert_eq!(snapshot_all(&conn), before, "a refused link left rows");
        assert!(!conn.in_transaction());
    }
}

/// `create` of a target whose `unique` column is taken is a unique
/// violation, alone and inside a user's transaction, and writes nothing.
fn duplicate_create(conn: &impl FaultDb, in_tx: bool) {
    if in_tx {
        earlier_writes(conn);
    }
    let before = snapshot_all(conn);
    let taken = Label {
        id: 0,
        name: "label 3".into(),
    };
    let e = Post::LABELS.of_key(1).create(conn, taken).unwrap_err();
    assert!(e.is_unique_violation(), "{e:?}");
    assert_eq!(snapshot_all(conn), before, "in a transaction: {in_tx}");
    assert_eq!(conn.in_transaction(), in_tx);
}

mod create_of_a_duplicate_unique_target_is_a_unique_violation {
    use super::*;

    #[test]
    fn sqlite() {
        for in_tx in [false, true] {
            let (conn, _dir) = fixture(SMALL);
            if in_tx {
                conn.execute_batch("BEGIN").unwrap();
            }
            duplicate_create(&conn, in_tx);
            if in_tx {
                conn.execute_batch("COMMIT").unwrap();
                assert!(earlier_writes_present(&conn));
            }
        }
    }

    #[test]
    fn postgres() {
        for in_tx in [false, true] {
            let (mut conn, _url) = pg_fixture(SMALL);
            if in_tx {
                let tx = conn.transaction().unwrap();
                duplicate_create(&tx, in_tx);
                tx.commit().unwrap();
                assert!(earlier_writes_present(&conn));
            } else {
                duplicate_create(&conn, in_tx);
            }
        }
    }
}

/// A multi-key unlinking call: one `DELETE` per key, which must run as one
/// unit (a trigger aborts the delete of the second key after the first is
/// gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unlink {
    /// `Post.labels` remove.
    Remove,
    /// `Post.labels` sync with `SyncMode::Remove`.
    SyncRemove,
    /// `Member.clubs` remove: the first through row deleted carries pivot data.
    ThroughRemove,
    /// `Person.friends` sync with `SyncMode::Remove` (pairs stored smaller key first).
    FriendsSyncRemove,
}

impl Unlink {
    /// The relation, its owner, the keys the call names (the first two
    /// linked in the fixture; the second is the one the trigger refuses),
    /// and the keys it removes once the trigger is gone: all the owner's links.
    fn setup(self) -> (&'static RelationDef, i64, Vec<i64>, Vec<i64>) {
        match self {
            Unlink::Remove | Unlink::SyncRemove => {
                (Post::LABELS.def(), 1, vec![2, 1, 5], vec![1, 2])
            }
            Unlink::ThroughRemove => (Member::CLUBS.def(), 1, vec![2, 1], vec![1, 2]),
            Unlink::FriendsSyncRemove => (Person::FRIENDS.def(), 1, vec![3, 2, 4], vec![2, 3, 4]),
        }
    }

    /// Runs the call; returns how many links it removed and, for `sync`,
    /// the keys its report lists.
    fn run(self, conn: &impl Db, keys: &[i64]) -> m2m::Result<(usize, Option<Vec<i64>>)> {
        let ks = keys.iter().copied();
        fn report<T: Model<Pk = i64>>(r: m2m::SyncReport<T>) -> (usize, Option<Vec<i64>>) {
            assert!(r.added.is_empty() && r.updated.is_empty(), "{r:?}");
            let removed: Vec<i64> = r.removed.iter().map(|k| *k.get()).collect();
            (removed.len(), Some(removed))
        }
        match self {
            Unlink::Remove => Ok((Post::LABELS.of_key(1).remove(conn, ks)?, None)),
            Unlink::SyncRemove => Post::LABELS
                .of_key(1)
                .sync(conn, ks, SyncMode::Remove)
                .map(report),
            Unlink::ThroughRemove => Ok((Member::CLUBS.of_key(1).remove(conn, ks)?, None)),
            Unlink::FriendsSyncRemove => Person::FRIENDS
                .of_key(1)
                .sync(conn, ks, SyncMode::Remove)
                .map(report),
        }
    }

    /// The owner's links, read through a connection.
    fn links(self, conn: &impl Db) -> u64 {
        match self {
            Unlink::Remove | Unlink::SyncRemove => Post::LABELS.of_key(1).count(conn),
            Unlink::ThroughRemove => Member::CLUBS.of_key(1).count(conn),
            Unlink::FriendsSyncRemove => Person::FRIENDS.of_key(1).count(conn),
        }
        .unwrap()
    }
}

/// One unlinking call fails on its second key, alone or inside a user's
/// transaction (on `conn`, the connection or that transaction): every table
/// is as before (rowids and pivot data included), the trigger's error is
/// returned, the user's transaction and its writes are intact, and the same
/// call succeeds once the trigger is gone.
fn unlink_fails_then_retries(conn: &impl FaultDb, op: Unlink, in_tx: bool, what: &str) {
    let (def, owner, keys, removed) = op.setup();
    if in_tx {
        earlier_writes(conn);
    }
    let (j, s, t) = (def.junction_table(), def.source(), def.target());
    let refused = keys[1];
    let (a, b) = if def.symmetrical() {
        (owner.min(refused), owner.max(refused))
    } else {
        (owner, refused)
    };
    conn.abort_on(
        j,
        "DELETE",
        &format!(r#"OLD."{s}" = {a} AND OLD."{t}" = {b}"#),
    );

    let before = snapshot_all(conn);
    match op.run(conn, &keys) {
        Ok(r) => panic!("{what}: the call succeeded: {r:?}"),
        Err(e) => assert!(e.to_string().contains("boom"), "{what}: {e:?}"),
    }
    assert_eq!(
        conn.in_transaction(),
        in_tx,
        "{what}: transaction state (false: the user's transaction is gone)"
    );
    let after = snapshot_all(conn);
    for (table, rows) in &before {
        let now = after.get(table).map_or(&[][..], Vec::as_slice);
        assert!(
            now == rows.as_slice(),
            "{what}: table {table} changed\n{}",
            diff(rows, now)
        );
    }
    assert_eq!(after.len(), before.len(), "{what}: tables");
    if in_tx {
        assert!(earlier_writes_present(conn), "{what}: the user's writes");
    }

    conn.drop_abort(j);
    match op.run(conn, &keys) {
        Ok((n, listed)) => {
            assert_eq!(n, removed.len(), "{what}: links the retried call removed");
            if let Some(listed) = listed {
                assert_eq!(listed, removed, "{what}: the retried call's report");
            }
        }
        Err(e) => panic!("{what}: the call fails once the trigger is gone: {e:?}"),
    }
    assert_eq!(
        conn.in_transaction(),
        in_tx,
        "{what}: the user's transaction"
    );
}

/// What a fresh connection reads after [`unlink_fails_then_retries`] committed.
fn unlink_committed(fresh: &impl Db, op: Unlink, in_tx: bool, what: &str) {
    if in_tx {
        assert!(earlier_writes_present(fresh), "{what}: the user's writes");
    }
    assert_eq!(
        op.links(fresh),
        0,
        "{what}: the owner's links after the retry"
    );
}

fn unlink_scenario(op: Unlink, in_tx: bool) {
    let what = format!("{op:?} under a delete trigger, in a transaction: {in_tx}");
    let (conn, dir) = fixture(SMALL);
    if in_tx {
        conn.execute_batch("BEGIN").unwrap();
    }
    unlink_fails_then_retries(&conn, op, in_tx, &what);
    if in_tx {
        conn.execute_batch("COMMIT")
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    }
    assert!(conn.is_autocommit(), "{what}: left a transaction open");
    let fresh = m2m::open(dir.file("faults.db")).unwrap();
    unlink_committed(&fresh, op, in_tx, &what);
}

fn pg_unlink_scenario(op: Unlink, in_tx: bool) {
    let what = format!("PostgreSQL: {op:?} under a delete trigger, in a transaction: {in_tx}");
    let (mut conn, url) = pg_fixture(SMALL);
    if in_tx {
        let tx = conn.transaction().unwrap();
        unlink_fails_then_retries(&tx, op, in_tx, &what);
        tx.commit()
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    } else {
        unlink_fails_then_retries(&conn, op, in_tx, &what);
    }
    assert!(!conn.in_transaction(), "{what}: left a transaction open");
    let fresh = m2m::pg::connect(&url).unwrap();
    unlink_committed(&fresh, op, in_tx, &what);
}

macro_rules! unlink_tests {
    ($($name:ident: $op:ident;)*) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::unlink_scenario(super::Unlink::$op, false);
                super::unlink_scenario(super::Unlink::$op, true);
            }

            #[test]
            fn postgres() {
                super::pg_unlink_scenario(super::Unlink::$op, false);
                super::pg_unlink_scenario(super::Unlink::$op, true);
            }
        }
    )*};
}

unlink_tests! {
    remove_rolls_back_on_trigger_abort: Remove;
    sync_remove_rolls_back_on_trigger_abort: SyncRemove;
    through_remove_rolls_back_on_trigger_abort: ThroughRemove;
    friends_sync_remove_rolls_back_on_trigger_abort: FriendsSyncRemove;
}
