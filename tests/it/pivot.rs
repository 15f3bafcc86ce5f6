//! Pivot data on explicit through models (issue 3): scenarios after
//! Django's m2m_through tests, Laravel's belongsToMany sync/toggle tests and
//! Lucid's pivot API.

use m2m::{Error, Key, ManyToMany, Model, StatementLog, SyncMode};

use crate::models::{Empty, TestDb, empty, log_junction, rows_in, take_log};

#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Enrollment {
    pub id: i64,
    pub student_id: i64,
    pub course_id: i64,
    pub grade: Option<String>,
    pub credits: i64,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Course {
    pub id: i64,
    pub title: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Student {
    pub id: i64,
    pub name: String,
    #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id", related_name = "students")]
    pub courses: ManyToMany<Course>,
}

/// A symmetrical self relation with pivot data, fields found by default names.
#[derive(Model, Debug, Clone, PartialEq, Default)]
pub struct Collab {
    pub id: i64,
    pub from_colleague_id: i64,
    pub to_colleague_id: i64,
    pub since: String,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Colleague {
    pub id: i64,
    pub name: String,
    #[many_to_many(symmetrical, through_model = Collab)]
    pub colleagues: ManyToMany<Self>,
}

/// On `db`'s backend, a database with three students and four courses.
fn school<C: TestDb + Empty>(db: fn() -> C) -> (C, Vec<Student>, Vec<Course>) {
    let conn = empty(db);
    Course::create_table(&conn).unwrap();
    Student::create_table(&conn).unwrap();
    Colleague::create_table(&conn).unwrap();
    let students = ["ada", "bob", "cyd"]
        .iter()
        .map(|n| {
            let mut s = Student {
                id: 0,
                name: (*n).into(),
                courses: ManyToMany::default(),
            };
            s.insert(&conn).unwrap();
            s
        })
        .collect();
    let courses = ["math", "art", "law", "bio"]
        .iter()
        .map(|t| {
            let mut c = Course {
                id: 0,
                title: (*t).into(),
            };
            c.insert(&conn).unwrap();
            c
        })
        .collect();
    (conn, students, courses)
}

fn grade(g: &str) -> Enrollment {
    Enrollment {
        grade: Some(g.into()),
        credits: 5,
        ..Enrollment::default()
    }
}

/// Every through row as (id, student, course, grade, credits), by id.
fn through_rows(conn: &impl TestDb) -> Vec<(i64, i64, i64, Option<String>, i64)> {
    conn.texts("SELECT id, student_id, course_id, grade, credits FROM enrollment ORDER BY id")
        .into_iter()
        .map(|r| {
            let grade = (r[3] != "NULL").then(|| r[3].clone());
            (
                r[0].parse().unwrap(),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                grade,
                r[4].parse().unwrap(),
            )
        })
        .collect()
}

dual! {
    fn add_with_fills_the_key_fields_and_pivot_reads_it_back() {
        let (conn, s, c) = school(db);
        // Key fields given wrong on purpose: the relation fills them in.
        let p = Enrollment {
            student_id: 999,
            course_id: 999,
            ..grade("A")
        };
        assert!(s[0].courses().add_with(&conn, &c[0], p).unwrap());
        let got = s[0].courses().pivot(&conn, &c[0]).unwrap().unwrap();
        assert_eq!(
            (
                got.student_id,
                got.course_id,
                got.grade.as_deref(),
                got.credits
            ),
            (s[0].id, c[0].id, Some("A"), 5)
        );
        assert_ne!(got.id, 0);
        assert_eq!(
            s[0].courses().pivot(&conn, &c[1]).unwrap(),
            None,
            "not linked"
        );
    }
}

dual! {
    fn a_pair_is_linked_once_and_a_second_link_is_ignored() {
        let (conn, s, c) = school(db);
        assert!(s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap());
        assert!(
            !s[0].courses().add_with(&conn, &c[0], grade("F")).unwrap(),
            "like add: existing links kept"
        );
        assert_eq!(s[0].courses().add(&conn, [&c[0]]).unwrap(), 0);
        assert_eq!(
            c[0].students().add(&conn, [&s[0]]).unwrap(),
            0,
            "the reverse side sees the same pair"
        );
        assert_eq!(rows_in(&conn, "enrollment"), 1);
        assert_eq!(
            s[0].courses()
                .pivot(&conn, &c[0])
                .unwrap()
                .unwrap()
                .grade
                .as_deref(),
            Some("A")
        );
        // The schema itself refuses a duplicate pair.
        let dup = conn.try_exec(&format!(
            "INSERT INTO enrollment (student_id, course_id, credits) VALUES ({}, {}, 0)",
            s[0].id, c[0].id
        ));
        assert!(dup.is_err());
    }
}

dual! {
    fn add_without_pivot_data_uses_the_default() {
        let (conn, s, c) = school(db);
        assert_eq!(s[0].courses().add(&conn, [&c[0], &c[1]]).unwrap(), 2);
        let rows = s[0].courses().fetch_with_pivot(&conn).unwrap();
        assert_eq!(rows.len(), 2);
        for (course, e) in &rows {
            assert_eq!(
                (e.student_id, e.course_id, e.grade.clone(), e.credits),
                (s[0].id, course.id, None, 0)
            );
        }
    }
}

dual! {
    fn update_pivot_changes_data_and_keeps_the_keys() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("B")).unwrap();
        let before = through_rows(&conn);
        let changed = s[0]
            .courses()
            .update_pivot(&conn, &c[0], |e| {
                e.grade = Some("A".into());
                e.credits += 1;
                e.course_id = 12345; // ignored: keys are not the closure's to change
            })
            .unwrap();
        assert!(changed);
        let after = through_rows(&conn);
        assert_eq!(
            after,
            vec![(before[0].0, s[0].id, c[0].id, Some("A".into()), 6)]
        );
        assert!(
            !s[0]
                .courses()
                .update_pivot(&conn, &c[1], |e| e.credits = 9)
                .unwrap(),
            "not linked"
        );
        assert_eq!(through_rows(&conn), after);
    }
}

dual! {
    fn fetch_with_pivot_in_target_key_order_from_both_sides() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[2], grade("C")).unwrap();
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[1].courses().add_with(&conn, &c[0], grade("B")).unwrap();
        let mine: Vec<(String, Option<String>)> = s[0]
            .courses()
            .fetch_with_pivot(&conn)
            .unwrap()
            .into_iter()
            .map(|(c, e)| (c.title, e.grade))
            .collect();
        assert_eq!(
            mine,
            [
                ("math".into(), Some("A".into())),
                ("law".into(), Some("C".into()))
            ]
        );
        let math: Vec<(String, Option<String>)> = c[0]
            .students()
            .fetch_with_pivot(&conn)
            .unwrap()
            .into_iter()
            .map(|(s, e)| (s.name, e.grade))
            .collect();
        assert_eq!(
            math,
            [
                ("ada".into(), Some("A".into())),
                ("bob".into(), Some("B".into()))
            ]
        );
        // Pivot calls from the reverse side see the same row.
        assert_eq!(
            c[0].students()
                .pivot(&conn, &s[1])
                .unwrap()
                .unwrap()
                .grade
                .as_deref(),
            Some("B")
        );
        c[0].students()
            .update_pivot(&conn, &s[1], |e| e.grade = Some("A+".into()))
            .unwrap();
        assert_eq!(
            s[1].courses()
                .pivot(&conn, &c[0])
                .unwrap()
                .unwrap()
                .grade
                .as_deref(),
            Some("A+")
        );
    }
}

dual! {
    fn filter_pivot_finds_targets_whose_pivot_matches() {
        let (conn, s, c) = school(db);
        c[0].students().add_with(&conn, &s[0], grade("A")).unwrap();
        c[0].students().add_with(&conn, &s[1], grade("B")).unwrap();
        c[0].students().add_with(&conn, &s[2], grade("A")).unwrap();
        s[1].courses().add_with(&conn, &c[1], grade("A")).unwrap(); // another course: not counted
        let honor = c[0]
            .students()
            .filter_pivot(|e| e.grade.eq("A"))
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(
            honor.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["ada", "cyd"]
        );
        let q = c[0]
            .students()
            .filter_pivot(|e| e.grade.eq("A").and(e.credits.ge(5)))
            .filter(|s| s.name.ne("ada"));
        assert_eq!(q.count(&conn).unwrap(), 1);
        let none = c[0]
            .students()
            .filter_pivot(|e| e.grade.is_null())
            .count(&conn)
            .unwrap();
        assert_eq!(none, 0);
    }
}

dual! {
    fn set_and_sync_keep_kept_rows_untouched() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[0].courses().add_with(&conn, &c[1], grade("B")).unwrap();
        let kept = through_rows(&conn)[0].clone();
        log_junction(&conn, "enrollment", "student_id", "course_id");
        let r = s[0].courses().set(&conn, [&c[0], &c[2]]).unwrap();
        assert_eq!((r.added, r.removed), (vec![c[2].key()], vec![c[1].key()]));
        assert_eq!(
            take_log(&conn),
            [("del".into(), c[1].id), ("ins".into(), c[2].id)],
            "the kept row is not written"
        );
        let rows = through_rows(&conn);
        assert_eq!(rows[0], kept, "same rowid, same pivot values");
        assert_eq!(rows.len(), 2);
        let r = Student::COURSES
            .of_key(s[0].id)
            .sync(&conn, [c[0].id, c[3].id], SyncMode::Add)
            .unwrap();
        assert_eq!(r.added, vec![c[3].key()]);
        assert_eq!(through_rows(&conn)[0], kept);
    }
}

dual! {
    fn sync_with_reports_added_removed_and_updated() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[0].courses().add_with(&conn, &c[1], grade("B")).unwrap();
        s[0].courses().add_with(&conn, &c[2], grade("C")).unwrap();
        let before = through_rows(&conn);
        log_junction(&conn, "enrollment", "student_id", "course_id");
        let r = s[0]
            .courses()
            .sync_with(
                &conn,
                [
                    (&c[0], grade("A")),
                    (&c[1], grade("B+")),
                    (&c[3], grade("D")),
                ],
                SyncMode::Replace,
            )
            .unwrap();
        assert_eq!(r.added, vec![c[3].key()]);
        assert_eq!(r.removed, vec![c[2].key()]);
        assert_eq!(r.updated, vec![c[1].key()]);
        let mut log = take_log(&conn);
        log.sort();
        assert_eq!(
            log,
            [
                ("del".into(), c[2].id),
                ("ins".into(), c[3].id),
                ("upd".into(), c[1].id)
            ],
            "c0 untouched"
        );
        let after = through_rows(&conn);
        assert_eq!(after[0], before[0], "unchanged pivot: same row");
        assert_eq!(
            (after[1].0, after[1].3.as_deref()),
            (before[1].0, Some("B+")),
            "updated in place"
        );
        // Add mode keeps the others, updates what differs; Remove ignores data.
        let r = s[0]
            .courses()
            .sync_with(&conn, [(&c[0], grade("A-"))], SyncMode::Add)
            .unwrap();
        assert_eq!(
            (r.added.len(), r.removed.len(), r.updated),
            (0, 0, vec![c[0].key()])
        );
        let r = s[0]
            .courses()
            .sync_with(&conn, [(&c[3], grade("x"))], SyncMode::Remove)
            .unwrap();
        assert_eq!(
            (r.added.len(), r.removed, r.updated.len()),
            (0, vec![c[3].key()], 0)
        );
        // A repeated target takes its last data.
        let r = s[0]
            .courses()
            .sync_with(
                &conn,
                [(&c[2], grade("1")), (&c[2], grade("2"))],
                SyncMode::Add,
            )
            .unwrap();
        assert_eq!(r.added, vec![c[2].key()]);
        assert_eq!(
            s[0].courses()
                .pivot(&conn, &c[2])
                .unwrap()
                .unwrap()
                .grade
                .as_deref(),
            Some("2")
        );
        // Nothing changes when the data is the same.
        let r = s[0]
            .courses()
            .sync_with(&conn, [(&c[2], grade("2"))], SyncMode::Add)
            .unwrap();
        assert!(r.is_empty());
    }
}

dual! {
    fn sync_with_a_missing_target_writes_nothing() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        let before = through_rows(&conn);
        let r = s[0].courses().sync_with(
            &conn,
            [
                (Key::<Course>::new(c[1].id), grade("B")),
                (Key::new(404), grade("C")),
            ],
            SyncMode::Replace,
        );
        assert!(
            matches!(r, Err(Error::MissingTarget { ref key, .. }) if key == "404"),
            "{r:?}"
        );
        assert_eq!(through_rows(&conn), before);
    }
}

dual! {
    fn payload_sync_without_loading_the_owner() {
        let (conn, s, c) = school(db);
        let ids: Vec<i64> = vec![c[0].id, c[1].id];
        let r = Student::COURSES
            .of_key(s[2].id)
            .sync(&conn, ids, SyncMode::Add)
            .unwrap();
        assert_eq!(r.added, vec![c[0].key(), c[1].key()]);
        let r = Student::COURSES
            .of_key(s[2].id)
            .sync(&conn, vec![c[1].id, c[2].id], SyncMode::Replace)
            .unwrap();
        assert_eq!((r.added, r.removed), (vec![c[2].key()], vec![c[0].key()]));
        let r = Student::COURSES
            .of_key(s[2].id)
            .sync(&conn, vec![c[2].id], SyncMode::Remove)
            .unwrap();
        assert_eq!(r.removed, vec![c[2].key()]);
        assert_eq!(s[2].courses().keys(&conn).unwrap(), vec![c[1].key()]);
        assert_eq!(Course::STUDENTS.of_key(c[1].id).count(&conn).unwrap(), 1);
    }
}

dual! {
    fn toggle_with_pivot_data() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        let r = s[0].courses().toggle(&conn, [&c[0], &c[1]]).unwrap();
        assert_eq!((r.added, r.removed), (vec![c[1].key()], vec![c[0].key()]));
        let rows = s[0].courses().fetch_with_pivot(&conn).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].0.id, rows[0].1.grade.clone()),
            (c[1].id, None),
            "new link: default data"
        );
    }
}

dual! {
    fn symmetrical_through_keeps_one_pivot_per_pair() {
        let (conn, _s, _c) = school(db);
        let mut people = Vec::new();
        for n in ["kim", "lee", "max"] {
            let mut p = Colleague {
                id: 0,
                name: n.into(),
                colleagues: ManyToMany::default(),
            };
            p.insert(&conn).unwrap();
            people.push(p);
        }
        let since = |s: &str| Collab {
            since: s.into(),
            ..Collab::default()
        };
        assert!(
            people[2]
                .colleagues()
                .add_with(&conn, &people[0], since("2020"))
                .unwrap()
        );
        assert!(
            !people[0]
                .colleagues()
                .add_with(&conn, &people[2], since("1999"))
                .unwrap(),
            "same pair"
        );
        assert_eq!(rows_in(&conn, "collab"), 1);
        let from_kim = people[0]
            .colleagues()
            .pivot(&conn, &people[2])
            .unwrap()
            .unwrap();
        let from_max = people[2]
            .colleagues()
            .pivot(&conn, &people[0])
            .unwrap()
            .unwrap();
        assert_eq!(from_kim, from_max);
        assert_eq!(from_kim.since, "2020");
        people[0]
            .colleagues()
            .update_pivot(&conn, &people[2], |p| p.since = "2021".into())
            .unwrap();
        let seen: Vec<(String, String)> = people[2]
            .colleagues()
            .fetch_with_pivot(&conn)
            .unwrap()
            .into_iter()
            .map(|(p, c)| (p.name, c.since))
            .collect();
        assert_eq!(seen, [("kim".into(), "2021".into())]);
        let r = people[1]
            .colleagues()
            .sync_with(&conn, [(&people[0], since("2022"))], SyncMode::Add)
            .unwrap();
        assert_eq!(r.added, vec![people[0].key()]);
        assert_eq!(people[0].colleagues().count(&conn).unwrap(), 2);
        assert_eq!(
            people[0]
                .colleagues()
                .filter_pivot(|c| c.since.eq("2022"))
                .fetch_all(&conn)
                .unwrap()[0]
                .name,
            "lee"
        );
        assert_eq!(
            people[2].colleagues().remove(&conn, [&people[0]]).unwrap(),
            1
        );
        assert_eq!(rows_in(&conn, "collab"), 1);
    }
}

dual! {
    fn deleting_either_side_removes_its_through_rows_only() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[0].courses().add_with(&conn, &c[1], grade("B")).unwrap();
        s[1].courses().add_with(&conn, &c[0], grade("C")).unwrap();
        assert!(c[0].delete(&conn).unwrap());
        assert_eq!(
            through_rows(&conn)
                .iter()
                .map(|r| (r.1, r.2))
                .collect::<Vec<_>>(),
            [(s[0].id, c[1].id)]
        );
        assert!(s[0].delete(&conn).unwrap());
        assert_eq!(rows_in(&conn, "enrollment"), 0);
        assert_eq!(Student::query().count(&conn).unwrap(), 2);
        assert_eq!(Course::query().count(&conn).unwrap(), 3);
    }
}

dual! {
    fn the_through_model_is_an_ordinary_model() {
        let (conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[1].courses().add_with(&conn, &c[0], grade("B")).unwrap();
        s[1].courses().add_with(&conn, &c[1], grade("A")).unwrap();
        let a = Enrollment::query()
            .filter(|e| e.grade.eq("A"))
            .order_by(|e| e.course_id.asc())
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(
            a.iter()
                .map(|e| (e.student_id, e.course_id))
                .collect::<Vec<_>>(),
            [(s[0].id, c[0].id), (s[1].id, c[1].id)]
        );
        let mut e = a[0].clone();
        e.credits = 42;
        e.update(&conn).unwrap();
        assert_eq!(
            s[0].courses().pivot(&conn, &c[0]).unwrap().unwrap().credits,
            42
        );
        // A link made through the model itself is seen by the relation.
        let mut direct = Enrollment {
            student_id: s[2].id,
            course_id: c[3].id,
            ..grade("C")
        };
        direct.insert(&conn).unwrap();
        assert!(s[2].courses().contains(&conn, &c[3]).unwrap());
        assert!(direct.delete(&conn).unwrap());
        assert!(!s[2].courses().contains(&conn, &c[3]).unwrap());
    }
}

dual! {
    fn prefetch_with_pivot_in_one_statement() {
        let (mut conn, s, c) = school(db);
        s[0].courses().add_with(&conn, &c[1], grade("B")).unwrap();
        s[0].courses().add_with(&conn, &c[0], grade("A")).unwrap();
        s[2].courses().add_with(&conn, &c[0], grade("C")).unwrap();
        let log = StatementLog::attach(&mut conn).unwrap();
        let p = Student::COURSES.prefetch_with_pivot(&conn, &s).unwrap();
        assert_eq!(log.count(), 1);
        let got: Vec<(&str, Option<&str>)> = p
            .get(&s[0])
            .iter()
            .map(|(c, e)| (c.title.as_str(), e.grade.as_deref()))
            .collect();
        assert_eq!(got, [("math", Some("A")), ("art", Some("B"))]);
        assert!(p.get(&s[1]).is_empty());
        let plain = Course::STUDENTS.prefetch(&conn, &c).unwrap();
        assert_eq!(
            plain
                .get(&c[0])
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["ada", "cyd"]
        );
        log.clear();
        let loaded = Student::query()
            .prefetch(Student::COURSES)
            .fetch_all(&conn)
            .unwrap();
        assert_eq!(log.count(), 2);
        assert_eq!(loaded[0].courses.get().map(<[Course]>::len), Some(2));
    }
}

dual! {
    fn a_through_table_made_first_on_its_own_is_rebuilt_with_foreign_keys_when_empty() {
        let conn = empty(db);
        Course::create_table(&conn).unwrap();
        Enrollment::create_table(&conn).unwrap(); // no foreign keys: it does not know its relation
        Student::create_table(&conn).unwrap();
        let mut s = Student {
            id: 0,
            name: "x".into(),
            courses: ManyToMany::default(),
        };
        s.insert(&conn).unwrap();
        let missing = s.courses().add(&conn, [404]);
        assert!(
            matches!(missing, Err(Error::MissingTarget { .. })),
            "{missing:?}"
        );
        let mut c = Course {
            id: 0,
            title: "t".into(),
        };
        c.insert(&conn).unwrap();
        s.courses().add(&conn, [&c]).unwrap();
        c.delete(&conn).unwrap();
        assert_eq!(rows_in(&conn, "enrollment"), 0, "cascade works");
    }
}

dual! {
    fn a_through_table_with_rows_but_no_foreign_keys_is_refused_not_dropped() {
        let conn = empty(db);
        Course::create_table(&conn).unwrap();
        Enrollment::create_table(&conn).unwrap();
        Enrollment {
            id: 0,
            student_id: 1,
            course_id: 1,
            grade: None,
            credits: 0,
        }
        .insert(&conn)
        .unwrap();
        let r = Student::create_table(&conn);
        assert!(
            matches!(
                r,
                Err(Error::Schema {
                    table: "enrollment",
                    ..
                })
            ),
            "{r:?}"
        );
        assert_eq!(rows_in(&conn, "enrollment"), 1, "nothing lost");
    }
}
