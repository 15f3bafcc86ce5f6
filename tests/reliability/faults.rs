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

use std::time::Duration;

use m2m::rusqlite::types::Value;
use m2m::rusqlite::{Connection, ErrorCode};
use m2m::{Error, Model, RelationDef, SyncMode};

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

/// The database of one scenario: a file (so another connection can lock it).
struct Fixture {
    conn: Connection,
    dir: TempDir,
}

/// Rows 1..=n of every model, and a few links with pivot data:
/// post 1 → labels 1, 2; post 2 → label 1; friends 1–2, 1–3, 1–4;
/// member 1 → club 1 (`a`), club 2 (`b`, `n`); member 2 → club 1.
fn fixture(n: i64) -> Fixture {
    let dir = TempDir::new("faults");
    let conn = m2m::open(dir.file("faults.db")).unwrap();
    create_all(&conn);
    let tx = conn.unchecked_transaction().unwrap();
    for i in 1..=n {
        Label {
            id: i,
            name: format!("label {i}"),
        }
        .insert(&tx)
        .unwrap();
        Person {
            id: i,
            name: format!("person {i}"),
            friends: Default::default(),
        }
        .insert(&tx)
        .unwrap();
        Club {
            id: i,
            name: format!("club {i}"),
        }
        .insert(&tx)
        .unwrap();
        Member {
            id: i,
            name: format!("member {i}"),
            clubs: Default::default(),
        }
        .insert(&tx)
        .unwrap();
    }
    for i in 1..=2 {
        Post {
            id: i,
            title: format!("post {i}"),
            body: None,
            labels: Default::default(),
        }
        .insert(&tx)
        .unwrap();
    }
    Post::LABELS.of_key(1).add(&tx, [1, 2]).unwrap();
    Post::LABELS.of_key(2).add(&tx, [1]).unwrap();
    Person::FRIENDS.of_key(1).add(&tx, [2, 3, 4]).unwrap();
    let m1 = Member::CLUBS.of_key(1);
    m1.add_with(&tx, 1, membership("a", None)).unwrap();
    m1.add_with(&tx, 2, membership("b", Some("n"))).unwrap();
    Member::CLUBS.of_key(2).add(&tx, [1]).unwrap();
    tx.commit().unwrap();
    Fixture { conn, dir }
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
fn run(op: Op, fault: Fault, conn: &Connection, bad: i64) -> m2m::Result<()> {
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

/// A temp trigger that aborts the insert of (owner, `bad`) into `def`'s
/// junction; with no `bad`, any insert from the owner.
fn trigger_sql(def: &RelationDef, owner: i64, bad: Option<i64>) -> String {
    let (j, s, t) = (def.junction_table(), def.source(), def.target());
    let when = match bad {
        None => format!(r#"NEW."{s}" = {owner}"#),
        Some(bad) if def.symmetrical() => format!(
            r#"NEW."{s}" = {} AND NEW."{t}" = {}"#,
            owner.min(bad),
            owner.max(bad)
        ),
        Some(bad) => format!(r#"NEW."{s}" = {owner} AND NEW."{t}" = {bad}"#),
    };
    format!(
        r#"CREATE TEMP TRIGGER boom BEFORE INSERT ON main."{j}" WHEN {when}
           BEGIN SELECT RAISE(ABORT, 'boom'); END"#
    )
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
fn earlier_writes(conn: &Connection) {
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

fn earlier_writes_present(conn: &Connection) -> bool {
    let label = Label::query()
        .filter(|c| c.name.eq("written in the transaction"))
        .exists(conn)
        .unwrap();
    let link = Post::LABELS.of_key(2).contains(conn, 3).unwrap();
    let pivot = Member::CLUBS.of_key(2).pivot(conn, 3).unwrap();
    label && link && pivot.is_some_and(|p| p.role == "in tx")
}

/// One scenario: `op` fails under `fault`, alone or inside a user's
/// transaction; see the module docs for what is checked.
fn scenario(op: Op, fault: Fault, in_tx: bool) {
    let what = format!("{op:?} under {fault:?}, in a transaction: {in_tx}");
    let fx = fixture(if fault == Fault::Full { BIG } else { SMALL });
    let conn = &fx.conn;
    let (owner, def) = op.owner();
    let bad = if fault == Fault::ForeignKey {
        GHOST
    } else {
        BAD
    };

    if in_tx {
        conn.execute_batch("BEGIN").unwrap();
        if fault == Fault::Busy {
            // Another connection holds the write lock: the user can only read.
            Post::LABELS.of_key(1).count(conn).unwrap();
        } else {
            earlier_writes(conn);
        }
    }
    // Arm the fault.
    let mut locker = None;
    match fault {
        Fault::Trigger if op == Op::UpdatePivot => {
            let (j, s) = (def.junction_table(), def.source());
            conn.execute_batch(&format!(
                r#"CREATE TEMP TRIGGER boom BEFORE UPDATE ON main."{j}" WHEN OLD."{s}" = {owner}
                   BEGIN SELECT RAISE(ABORT, 'boom'); END"#
            ))
            .unwrap();
        }
        Fault::Trigger => {
            let bad = (!matches!(op, Op::Create | Op::ConnectOrCreate)).then_some(bad);
            conn.execute_batch(&trigger_sql(def, owner, bad)).unwrap();
        }
        Fault::Full => {
            let pages: i64 = conn
                .query_row("PRAGMA page_count", [], |r| r.get(0))
                .unwrap();
            let max: i64 = conn
                .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(max, pages);
        }
        Fault::Busy => {
            let other = m2m::open(fx.dir.file("faults.db")).unwrap();
            other.execute_batch("BEGIN IMMEDIATE").unwrap();
            locker = Some(other);
            conn.busy_timeout(Duration::from_millis(20)).unwrap();
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
        conn.is_autocommit(),
        !in_tx,
        "{what}: transaction state (true: the user's transaction is gone)"
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
        Fault::Trigger => conn.execute_batch("DROP TRIGGER temp.boom").unwrap(),
        Fault::Full => {
            conn.query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(()))
                .unwrap();
        }
        Fault::Busy => {
            if let Some(other) = locker.take() {
                other.execute_batch("ROLLBACK").unwrap();
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
    if in_tx {
        assert!(!conn.is_autocommit(), "{what}: the user's transaction");
        conn.execute_batch("COMMIT")
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    }
    assert!(conn.is_autocommit(), "{what}: left a transaction open");

    // What was committed is what a new connection reads.
    let fresh = m2m::open(fx.dir.file("faults.db")).unwrap();
    if in_tx && fault != Fault::Busy {
        assert!(earlier_writes_present(&fresh), "{what}: the user's writes");
    }
    assert!(
        retried_call_visible(op, fault, &fresh),
        "{what}: the retried call"
    );
}

/// The rows only in `before` and only in `after` (cut short).
fn diff(before: &[Vec<Value>], after: &[Vec<Value>]) -> String {
    let short = |row: &Vec<Value>| {
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
fn retried_call_visible(op: Op, fault: Fault, conn: &Connection) -> bool {
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

macro_rules! fault_tests {
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
    add_rolls_back_on_full_database: Add, Full;
    add_rolls_back_on_busy_database: Add, Busy;
    set_rolls_back_on_trigger_abort: Set, Trigger;
    set_rolls_back_on_foreign_key_violation: Set, ForeignKey;
    set_rolls_back_on_full_database: Set, Full;
    set_rolls_back_on_busy_database: Set, Busy;
    sync_replace_rolls_back_on_trigger_abort: SyncReplace, Trigger;
    sync_replace_rolls_back_on_foreign_key_violation: SyncReplace, ForeignKey;
    sync_replace_rolls_back_on_full_database: SyncReplace, Full;
    sync_replace_rolls_back_on_busy_database: SyncReplace, Busy;
    sync_add_rolls_back_on_trigger_abort: SyncAdd, Trigger;
    sync_add_rolls_back_on_foreign_key_violation: SyncAdd, ForeignKey;
    sync_add_rolls_back_on_full_database: SyncAdd, Full;
    sync_add_rolls_back_on_busy_database: SyncAdd, Busy;
    toggle_rolls_back_on_trigger_abort: Toggle, Trigger;
    toggle_rolls_back_on_foreign_key_violation: Toggle, ForeignKey;
    toggle_rolls_back_on_full_database: Toggle, Full;
    toggle_rolls_back_on_busy_database: Toggle, Busy;
    create_rolls_back_on_trigger_abort: Create, Trigger;
    create_rolls_back_on_foreign_key_violation: Create, ForeignKey;
    create_rolls_back_on_full_database: Create, Full;
    create_rolls_back_on_busy_database: Create, Busy;
    connect_or_create_rolls_back_on_trigger_abort: ConnectOrCreate, Trigger;
    connect_or_create_rolls_back_on_foreign_key_violation: ConnectOrCreate, ForeignKey;
    connect_or_create_rolls_back_on_full_database: ConnectOrCreate, Full;
    connect_or_create_rolls_back_on_busy_database: ConnectOrCreate, Busy;
    through_set_rolls_back_on_trigger_abort: ThroughSet, Trigger;
    through_set_rolls_back_on_foreign_key_violation: ThroughSet, ForeignKey;
    through_set_rolls_back_on_full_database: ThroughSet, Full;
    through_set_rolls_back_on_busy_database: ThroughSet, Busy;
    add_with_rolls_back_on_trigger_abort: AddWith, Trigger;
    add_with_rolls_back_on_foreign_key_violation: AddWith, ForeignKey;
    add_with_rolls_back_on_full_database: AddWith, Full;
    add_with_rolls_back_on_busy_database: AddWith, Busy;
    sync_with_rolls_back_on_trigger_abort: SyncWith, Trigger;
    sync_with_rolls_back_on_foreign_key_violation: SyncWith, ForeignKey;
    sync_with_rolls_back_on_full_database: SyncWith, Full;
    sync_with_rolls_back_on_busy_database: SyncWith, Busy;
    update_pivot_rolls_back_on_trigger_abort: UpdatePivot, Trigger;
    update_pivot_rolls_back_on_full_database: UpdatePivot, Full;
    update_pivot_rolls_back_on_busy_database: UpdatePivot, Busy;
    reverse_sync_with_rolls_back_on_trigger_abort: ReverseSyncWith, Trigger;
    reverse_sync_with_rolls_back_on_foreign_key_violation: ReverseSyncWith, ForeignKey;
    reverse_sync_with_rolls_back_on_full_database: ReverseSyncWith, Full;
    reverse_sync_with_rolls_back_on_busy_database: ReverseSyncWith, Busy;
    friends_set_rolls_back_on_trigger_abort: FriendsSet, Trigger;
    friends_set_rolls_back_on_foreign_key_violation: FriendsSet, ForeignKey;
    friends_set_rolls_back_on_full_database: FriendsSet, Full;
    friends_set_rolls_back_on_busy_database: FriendsSet, Busy;
    friends_toggle_rolls_back_on_trigger_abort: FriendsToggle, Trigger;
    friends_toggle_rolls_back_on_foreign_key_violation: FriendsToggle, ForeignKey;
    friends_toggle_rolls_back_on_full_database: FriendsToggle, Full;
    friends_toggle_rolls_back_on_busy_database: FriendsToggle, Busy;
}

/// A constraint of the through model other than the pair (here a unique
/// `seat`) refusing a new link is an error, never mistaken for "the link
/// exists": `add_with` must not answer `false`, `add` must not count one
/// link of two, `sync_with` must not report a link it did not make, and
/// nothing of the call is written.
#[test]
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
    assert!(conn.is_autocommit());
}

/// `create` of a target whose `unique` column is taken is a unique
/// violation, alone and inside a user's transaction, and writes nothing.
#[test]
fn create_of_a_duplicate_unique_target_is_a_unique_violation() {
    for in_tx in [false, true] {
        let fx = fixture(SMALL);
        let conn = &fx.conn;
        if in_tx {
            conn.execute_batch("BEGIN").unwrap();
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
        assert_eq!(conn.is_autocommit(), !in_tx);
        if in_tx {
            conn.execute_batch("COMMIT").unwrap();
            assert!(earlier_writes_present(conn));
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
    fn run(self, conn: &Connection, keys: &[i64]) -> m2m::Result<(usize, Option<Vec<i64>>)> {
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
    fn links(self, conn: &Connection) -> u64 {
        match self {
            Unlink::Remove | Unlink::SyncRemove => Post::LABELS.of_key(1).count(conn),
            Unlink::ThroughRemove => Member::CLUBS.of_key(1).count(conn),
            Unlink::FriendsSyncRemove => Person::FRIENDS.of_key(1).count(conn),
        }
        .unwrap()
    }
}

/// One unlinking call fails on its second key, alone or inside a user's
/// transaction: every table is as before (rowids and pivot data included),
/// the trigger's error is returned, the user's transaction and its writes
/// are intact, and the same call succeeds once the trigger is gone.
fn unlink_scenario(op: Unlink, in_tx: bool) {
    let what = format!("{op:?} under a delete trigger, in a transaction: {in_tx}");
    let fx = fixture(SMALL);
    let conn = &fx.conn;
    let (def, owner, keys, removed) = op.setup();
    if in_tx {
        conn.execute_batch("BEGIN").unwrap();
        earlier_writes(conn);
    }
    let (j, s, t) = (def.junction_table(), def.source(), def.target());
    let refused = keys[1];
    let (a, b) = if def.symmetrical() {
        (owner.min(refused), owner.max(refused))
    } else {
        (owner, refused)
    };
    conn.execute_batch(&format!(
        r#"CREATE TEMP TRIGGER boom BEFORE DELETE ON main."{j}"
           WHEN OLD."{s}" = {a} AND OLD."{t}" = {b}
           BEGIN SELECT RAISE(ABORT, 'boom'); END"#
    ))
    .unwrap();

    let before = snapshot_all(conn);
    match op.run(conn, &keys) {
        Ok(r) => panic!("{what}: the call succeeded: {r:?}"),
        Err(e) => assert!(e.to_string().contains("boom"), "{what}: {e:?}"),
    }
    assert_eq!(
        conn.is_autocommit(),
        !in_tx,
        "{what}: transaction state (true: the user's transaction is gone)"
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

    conn.execute_batch("DROP TRIGGER temp.boom").unwrap();
    match op.run(conn, &keys) {
        Ok((n, listed)) => {
            assert_eq!(n, removed.len(), "{what}: links the retried call removed");
            if let Some(listed) = listed {
                assert_eq!(listed, removed, "{what}: the retried call's report");
            }
        }
        Err(e) => panic!("{what}: the call fails once the trigger is gone: {e:?}"),
    }
    if in_tx {
        assert!(!conn.is_autocommit(), "{what}: the user's transaction");
        conn.execute_batch("COMMIT")
            .unwrap_or_else(|e| panic!("{what}: commit: {e:?}"));
    }
    assert!(conn.is_autocommit(), "{what}: left a transaction open");

    let fresh = m2m::open(fx.dir.file("faults.db")).unwrap();
    if in_tx {
        assert!(earlier_writes_present(&fresh), "{what}: the user's writes");
    }
    assert_eq!(
        op.links(&fresh),
        0,
        "{what}: the owner's links after the retry"
    );
}

#[test]
fn remove_rolls_back_on_trigger_abort() {
    unlink_scenario(Unlink::Remove, false);
    unlink_scenario(Unlink::Remove, true);
}

#[test]
fn sync_remove_rolls_back_on_trigger_abort() {
    unlink_scenario(Unlink::SyncRemove, false);
    unlink_scenario(Unlink::SyncRemove, true);
}

#[test]
fn through_remove_rolls_back_on_trigger_abort() {
    unlink_scenario(Unlink::ThroughRemove, false);
    unlink_scenario(Unlink::ThroughRemove, true);
}

#[test]
fn friends_sync_remove_rolls_back_on_trigger_abort() {
    unlink_scenario(Unlink::FriendsSyncRemove, false);
    unlink_scenario(Unlink::FriendsSyncRemove, true);
}
