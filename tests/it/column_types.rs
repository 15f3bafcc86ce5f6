//! Column types of the `chrono`, `time`, `uuid` and `serde_json` features:
//! declared types, and values that come back as they went in.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use m2m::Model;
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcDateTime, UtcOffset};
use uuid::Uuid;

use crate::models::{TestDb, empty};

#[derive(Model, Debug, Clone, PartialEq)]
struct Event {
    id: i64,
    day: NaiveDate,
    at: NaiveTime,
    local_start: NaiveDateTime,
    utc: DateTime<Utc>,
    offset: DateTime<FixedOffset>,
    local: DateTime<Local>,
    ended: Option<DateTime<Utc>>,
    meta: Value,
    extra: Option<Value>,
    external: Uuid,
    other: Option<Uuid>,
}

#[derive(Model, Debug, Clone, PartialEq)]
struct Shift {
    id: i64,
    day: Date,
    starts: Time,
    wall: PrimitiveDateTime,
    stamped: OffsetDateTime,
    utc: UtcDateTime,
    ended: Option<OffsetDateTime>,
}

fn declared<M: Model>() -> Vec<(&'static str, &'static str)> {
    M::TABLE
        .columns()
        .iter()
        .map(|c| (c.name(), c.sql_type()))
        .collect()
}

#[test]
fn feature_columns_declare_their_sqlite_types() {
    assert_eq!(
        declared::<Event>(),
        [
            ("id", "INTEGER"),
            ("day", "TEXT"),
            ("at", "TEXT"),
            ("local_start", "TEXT"),
            ("utc", "TEXT"),
            ("offset", "TEXT"),
            ("local", "TEXT"),
            ("ended", "TEXT"),
            ("meta", "TEXT"),
            ("extra", "TEXT"),
            ("external", "BLOB"),
            ("other", "BLOB"),
        ]
    );
    assert_eq!(
        declared::<Shift>(),
        [
            ("id", "INTEGER"),
            ("day", "TEXT"),
            ("starts", "TEXT"),
            ("wall", "TEXT"),
            ("stamped", "TEXT"),
            ("utc", "TEXT"),
            ("ended", "TEXT"),
        ]
    );
    let nullable: Vec<bool> = Event::TABLE
        .columns()
        .iter()
        .map(|c| c.nullable())
        .collect();
    assert_eq!(
        nullable,
        [
            false, false, false, false, false, false, false, true, false, true, false, true
        ]
    );
    assert!(
        Event::schema_sql().contains("\"meta\" TEXT NOT NULL"),
        "{}",
        Event::schema_sql()
    );
}

fn declared_pg<M: Model>() -> Vec<&'static str> {
    M::TABLE.columns().iter().map(|c| c.pg_type()).collect()
}

#[test]
fn feature_columns_declare_their_postgres_types() {
    assert_eq!(
        declared_pg::<Event>(),
        [
            "BIGINT",
            "DATE",
            "TIME",
            "TIMESTAMP",
            "TIMESTAMPTZ",
            "TIMESTAMPTZ",
            "TIMESTAMPTZ",
            "TIMESTAMPTZ",
            "JSONB",
            "JSONB",
            "UUID",
            "UUID",
        ]
    );
    assert_eq!(
        declared_pg::<Shift>(),
        [
            "BIGINT",
            "DATE",
            "TIME",
            "TIMESTAMP",
            "TIMESTAMPTZ",
            "TEXT",
            "TIMESTAMPTZ"
        ]
    );
}

dual! {
fn chrono_serde_json_and_uuid_columns_round_trip() {
    let conn = empty(db);
    Event::create_table(&conn).unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    // PostgreSQL's times and timestamps hold microseconds.
    let nanos = if conn.is_pg() { 123_456_000 } else { 123_456_789 };
    let at = NaiveTime::from_hms_nano_opt(23, 59, 58, nanos).unwrap();
    let offset = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    let utc = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
    let mut e = Event {
        id: 0,
        day,
        at,
        local_start: day.and_time(at),
        utc,
        offset: offset.with_ymd_and_hms(1999, 12, 31, 23, 0, 0).unwrap(),
        local: utc.with_timezone(&Local),
        ended: None,
        meta: json!({
            "tags": ["a", "b"],
            "n": 42,
            "x": 0.1,
            "sum": 0.1 + 0.2,
            "big": i64::MAX,
            "ok": true,
            "none": null,
            "text": "it's \"quoted\" 🦀",
        }),
        extra: Some(json!(1.5)),
        external: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        other: None,
    };
    e.insert(&conn).unwrap();
    assert_eq!(Event::get(&conn, e.id).unwrap(), Some(e.clone()));

    // Every JSON shape, as the whole value of a column.
    for v in [
        json!(0.1 + 0.2),
        json!(-1e300),
        json!(42),
        json!(i64::MIN),
        json!(false),
        json!("text"),
        json!("42"),
        json!([]),
        json!([1, [2, {"three": 3}]]),
        json!({}),
    ] {
        e.meta = v.clone();
        e.extra = Some(v);
        e.ended = Some(utc);
        e.other = Some(Uuid::from_bytes([0xff; 16]));
        e.update(&conn).unwrap();
        assert_eq!(Event::get(&conn, e.id).unwrap(), Some(e.clone()));
    }
    // JSON `null` is SQL NULL: an `Option<Value>` reads it back as `None`.
    e.extra = Some(Value::Null);
    e.update(&conn).unwrap();
    assert_eq!(Event::get(&conn, e.id).unwrap().unwrap().extra, None);
    e.extra = None;
    // ... and a `Value` column is `NOT NULL`, so it refuses JSON `null`.
    let mut null_meta = e.clone();
    null_meta.meta = Value::Null;
    assert!(null_meta.update(&conn).is_err());

    if conn.is_pg() {
        // Stored in PostgreSQL's native types.
        assert_eq!(
            conn.texts(
                "SELECT pg_typeof(utc)::text, pg_typeof(day)::text, pg_typeof(external)::text, \
                 pg_typeof(meta)::text, local_start::text, utc = '2024-05-01 12:30:00+00', \
                 external::text, meta->>'n' FROM event"
            ),
            [[
                "timestamp with time zone",
                "date",
                "uuid",
                "jsonb",
                "2024-02-29 23:59:58.123456",
                "t",
                "01234567-89ab-cdef-0123-456789abcdef",
                "NULL",
            ]]
        );
    } else {
        // Stored as rusqlite stores them: text, and 16 bytes.
        assert_eq!(
            conn.texts("SELECT utc, day, length(external) FROM event"),
            [["2024-05-01 12:30:00+00:00", "2024-02-29", "16"]]
        );
    }
    let found = Event::query()
        .filter(|c| {
            c.day
                .eq(day)
                .and(c.utc.lt(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()))
        })
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(found, vec![e.clone()]);
    // Query values of every native column, compared in their type.
    let at_noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
    let n = |q: m2m::Query<Event>| q.fetch_all(&conn).unwrap().len();
    assert_eq!(n(Event::query().filter(|c| c.at.gt(at_noon))), 1);
    assert_eq!(n(Event::query().filter(|c| c.at.lt(at_noon))), 0);
    assert_eq!(n(Event::query().filter(|c| c.local_start.eq(day.and_time(at)))), 1);
    assert_eq!(n(Event::query().filter(|c| c.offset.lt(utc.fixed_offset()))), 1);
    assert_eq!(n(Event::query().filter(|c| c.local.eq(utc.with_timezone(&Local)))), 1);
    assert_eq!(n(Event::query().filter(|c| c.ended.eq(utc))), 1);
    assert_eq!(n(Event::query().filter(|c| c.external.eq(e.external))), 1);
    assert_eq!(n(Event::query().filter(|c| c.other.eq(Uuid::from_bytes([0xff; 16])))), 1);
    assert_eq!(n(Event::query().filter(|c| c.external.eq(Uuid::nil()))), 0);
}
}

dual! {
fn time_columns_round_trip() {
    let conn = empty(db);
    Shift::create_table(&conn).unwrap();
    let day = Date::from_calendar_date(2024, Month::February, 29).unwrap();
    let starts = Time::from_hms_nano(6, 7, 8, 900_000_000).unwrap();
    let wall = PrimitiveDateTime::new(day, starts);
    let mut s = Shift {
        id: 0,
        day,
        starts,
        wall,
        stamped: wall.assume_offset(UtcOffset::from_hms(-3, -30, 0).unwrap()),
        utc: UtcDateTime::new(day, starts),
        ended: None,
    };
    s.insert(&conn).unwrap();
    assert_eq!(Shift::get(&conn, s.id).unwrap(), Some(s.clone()));
    s.ended = Some(wall.assume_utc());
    s.update(&conn).unwrap();
    assert_eq!(Shift::get(&conn, s.id).unwrap(), Some(s));
}
}
