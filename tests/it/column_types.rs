//! Column types of the `chrono`, `time`, `uuid` and `serde_json` features:
//! declared types, and values that come back as they went in.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use m2m::Model;
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcDateTime, UtcOffset};
use uuid::Uuid;

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

#[test]
fn chrono_serde_json_and_uuid_columns_round_trip() {
    let conn = m2m::open_in_memory().unwrap();
    Event::create_table(&conn).unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let at = NaiveTime::from_hms_nano_opt(23, 59, 58, 123_456_789).unwrap();
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

    // Stored as rusqlite stores them: text, and 16 bytes.
    let (utc_text, day_text, uuid_len): (String, String, i64) = conn
        .query_row("SELECT utc, day, length(external) FROM event", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        (utc_text.as_str(), day_text.as_str(), uuid_len),
        ("2024-05-01 12:30:00+00:00", "2024-02-29", 16)
    );
    let found = Event::query()
        .filter(|c| {
            c.day
                .eq(day)
                .and(c.utc.lt(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()))
        })
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(found, vec![e]);
}

#[test]
fn time_columns_round_trip() {
    let conn = m2m::open_in_memory().unwrap();
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
