//! What the derive emits for canonical models, read back at run time: the
//! schema text and the table and relation descriptions, then the accessors
//! and descriptors at work. The generated code itself is pinned by the
//! snapshots in `tests/expand/` (`cargo test -p m2m-derive snapshots`).
#![allow(missing_docs)]

use m2m::{Key, ManyToMany, Model, SyncMode};

#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "articles")]
pub struct Article {
    pub id: i64,
    pub title: String,
    #[model(index)]
    pub body: Option<String>,
    #[many_to_many(related_name = "articles")]
    pub tags: ManyToMany<Tag>,
}

#[derive(Model, Debug, Clone, PartialEq)]
pub struct Tag {
    pub id: i64,
    #[model(unique)]
    pub name: String,
}

#[derive(Model)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[many_to_many(symmetrical)]
    pub friends: ManyToMany<Self>,
    #[many_to_many(related_name = "followers")]
    pub following: ManyToMany<User>,
}

/// `Article::schema_sql()`: the table, its index and the junction of `tags`.
const ARTICLE_SQL: &str = r#"CREATE TABLE IF NOT EXISTS "articles" (
    "id" INTEGER PRIMARY KEY,
    "title" TEXT NOT NULL,
    "body" TEXT
);
CREATE INDEX IF NOT EXISTS "articles.body" ON "articles" ("body");
CREATE TABLE IF NOT EXISTS "articles_tags" (
    "article_id" INTEGER NOT NULL REFERENCES "articles" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "tag_id" INTEGER NOT NULL REFERENCES "tag" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("article_id", "tag_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "articles_tags.tag_id" ON "articles_tags" ("tag_id");
"#;

/// `User::schema_sql()`: the table and the junctions of its two self
/// relations, the symmetrical one storing each pair once (`CHECK`).
const USER_SQL: &str = r#"CREATE TABLE IF NOT EXISTS "user" (
    "id" INTEGER PRIMARY KEY,
    "name" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "user_friends" (
    "from_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "to_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("from_user_id", "to_user_id"),
    CHECK ("from_user_id" <= "to_user_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "user_friends.to_user_id" ON "user_friends" ("to_user_id");
CREATE TABLE IF NOT EXISTS "user_following" (
    "from_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "to_user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY ("from_user_id", "to_user_id")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS "user_following.to_user_id" ON "user_following" ("to_user_id");
"#;

#[test]
fn schema_text_of_derived_models() {
    assert_eq!(Article::schema_sql(), ARTICLE_SQL);
    assert_eq!(User::schema_sql(), USER_SQL);
    let conn = m2m::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
}

#[test]
fn table_descriptions_of_derived_models() {
    let t = Article::TABLE;
    assert_eq!(
        (t.model(), t.name(), t.key_index(), t.auto_key()),
        ("Article", "articles", 0, true)
    );
    let cols: Vec<_> = t
        .columns()
        .iter()
        .map(|c| {
            (
                c.name(),
                c.sql_type(),
                c.nullable(),
                c.unique(),
                c.indexed(),
            )
        })
        .collect();
    assert_eq!(
        cols,
        [
            ("id", "INTEGER", false, false, false),
            ("title", "TEXT", false, false, false),
            ("body", "TEXT", true, false, true),
        ]
    );
    let t = Tag::TABLE;
    assert_eq!(
        (t.model(), t.name(), t.key_index(), t.auto_key()),
        ("Tag", "tag", 0, true)
    );
    assert!(t.columns()[1].unique());
    assert_eq!(User::TABLE.name(), "user");
}

#[test]
fn relation_descriptions_of_both_directions() {
    let def = |d: &m2m::RelationDef| {
        (
            d.name(),
            d.junction_table(),
            d.source(),
            d.target(),
            d.symmetrical(),
            d.declared(),
        )
    };
    assert_eq!(
        def(Article::TAGS.def()),
        (
            "Article.tags",
            "articles_tags",
            "article_id",
            "tag_id",
            false,
            true
        )
    );
    assert_eq!(Article::TAGS.def().owner().name(), "articles");
    assert_eq!(Article::TAGS.def().target_table().name(), "tag");
    assert_eq!(
        def(Tag::ARTICLES.def()),
        (
            "Tag.articles",
            "articles_tags",
            "tag_id",
            "article_id",
            false,
            false
        )
    );
    assert_eq!(Tag::ARTICLES.def().owner().name(), "tag");
    assert_eq!(Tag::ARTICLES.def().target_table().name(), "articles");
    assert_eq!(
        def(User::FRIENDS.def()),
        (
            "User.friends",
            "user_friends",
            "from_user_id",
            "to_user_id",
            true,
            true
        )
    );
    assert_eq!(
        def(User::FOLLOWING.def()),
        (
            "User.following",
            "user_following",
            "from_user_id",
            "to_user_id",
            false,
            true
        )
    );
    assert_eq!(
        def(User::FOLLOWERS.def()),
        (
            "User.followers",
            "user_following",
            "to_user_id",
            "from_user_id",
            false,
            false
        )
    );
}

/// The accessors and descriptors the derive generates, at work: links,
/// sets, toggles, filters, self relations, deletes.
#[test]
fn derived_accessors_at_work() {
    let conn = m2m::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
    let mut tags = Vec::new();
    for n in ["a", "b", "c", "d"] {
        let mut t = Tag {
            id: 0,
            name: n.into(),
        };
        t.insert(&conn).unwrap();
        tags.push(t);
    }
    let mut a = Article {
        id: 0,
        title: "t".into(),
        body: None,
        tags: Default::default(),
    };
    a.insert(&conn).unwrap();
    assert_eq!(Article::get(&conn, a.id).unwrap(), Some(a.clone()));
    assert_eq!(
        a.tags().add(&conn, [&tags[0], &tags[1], &tags[1]]).unwrap(),
        2
    );
    assert_eq!(a.tags().add(&conn, [&tags[0]]).unwrap(), 0);
    assert_eq!(a.tags().count(&conn).unwrap(), 2);
    assert_eq!(tags[0].articles().fetch_all(&conn).unwrap().len(), 1);
    let r = a.tags().set(&conn, [&tags[1], &tags[2]]).unwrap();
    assert_eq!(r.added, vec![tags[2].key()]);
    assert_eq!(r.removed, vec![tags[0].key()]);
    let e = a
        .tags()
        .add(&conn, [Key::<Tag>::new(99), tags[3].key()])
        .unwrap_err();
    assert!(matches!(e, m2m::Error::MissingTarget { .. }));
    assert_eq!(
        a.tags().keys(&conn).unwrap(),
        vec![tags[1].key(), tags[2].key()]
    );
    a.tags().set(&conn, [99]).unwrap_err();
    assert_eq!(
        a.tags().keys(&conn).unwrap(),
        vec![tags[1].key(), tags[2].key()]
    );
    let r = a.tags().toggle(&conn, [2, 4]).unwrap();
    assert_eq!((r.added.len(), r.removed.len()), (1, 1));
    let r = Article::TAGS
        .of_key(a.id)
        .sync(&conn, [1], SyncMode::Add)
        .unwrap();
    assert_eq!(r.added.len(), 1);
    assert_eq!(
        a.tags()
            .filter(|c| c.name.eq("a"))
            .fetch_all(&conn)
            .unwrap()
            .len(),
        1
    );
    let mut users = Vec::new();
    for n in ["x", "y", "z"] {
        let mut u = User {
            id: 0,
            name: n.into(),
            friends: Default::default(),
            following: Default::default(),
        };
        u.insert(&conn).unwrap();
        users.push(u);
    }
    users[2]
        .friends()
        .add(&conn, [&users[0], &users[2]])
        .unwrap();
    assert_eq!(users[0].friends().fetch_all(&conn).unwrap().len(), 1);
    assert_eq!(users[2].friends().count(&conn).unwrap(), 2);
    assert!(users[0].friends().contains(&conn, &users[2]).unwrap());
    assert_eq!(
        users[0]
            .friends()
            .filter(|c| c.name.ne("q"))
            .count(&conn)
            .unwrap(),
        1
    );
    users[0].following().add(&conn, [&users[1]]).unwrap();
    assert_eq!(
        users[1].followers().keys(&conn).unwrap(),
        vec![users[0].key()]
    );
    assert!(users[0].followers().keys(&conn).unwrap().is_empty());
    let c = a
        .tags()
        .create(
            &conn,
            Tag {
                id: 0,
                name: "new".into(),
            },
        )
        .unwrap();
    assert!(a.tags().contains(&conn, &c).unwrap());
    tags[1].delete(&conn).unwrap();
    assert!(!a.tags().contains(&conn, 2).unwrap());
    assert_eq!(
        Tag::query()
            .filter(|c| c.name.like("%e%"))
            .count(&conn)
            .unwrap(),
        1
    );
}

/// Eager loading and relation queries through the derived descriptors,
/// in the number of statements promised.
#[test]
fn derived_descriptors_load_eagerly() {
    let mut conn = m2m::open_in_memory().unwrap();
    Tag::create_table(&conn).unwrap();
    Article::create_table(&conn).unwrap();
    User::create_table(&conn).unwrap();
    let mut tags = Vec::new();
    for n in ["rust", "sqlite", "c"] {
        let mut t = Tag {
            id: 0,
            name: n.into(),
        };
        t.insert(&conn).unwrap();
        tags.push(t);
    }
    let mut arts = Vec::new();
    for i in 0..5 {
        let mut a = Article {
            id: 0,
            title: format!("a{i}"),
            body: None,
            tags: Default::default(),
        };
        a.insert(&conn).unwrap();
        arts.push(a);
    }
    arts[0].tags().add(&conn, [&tags[0], &tags[1]]).unwrap();
    arts[1].tags().add(&conn, [&tags[0]]).unwrap();
    arts[2].tags().add(&conn, [&tags[1], &tags[2]]).unwrap();
    let log = m2m::StatementLog::attach(&mut conn).unwrap();
    let p = Article::TAGS.prefetch(&conn, &arts).unwrap();
    assert_eq!(log.count(), 1);
    assert_eq!(p.get(&arts[0]).len(), 2);
    assert!(p.get(&arts[4]).is_empty());
    log.clear();
    let loaded = Article::query()
        .prefetch(Article::TAGS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(log.count(), 2, "{:?}", log.statements());
    assert_eq!(loaded[2].tags.get().unwrap().len(), 2);
    let both = Article::query()
        .linked_to_all(Article::TAGS, [&tags[0], &tags[1]])
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(both.len(), 1);
    let any = Article::query()
        .linked_to_any(Article::TAGS, [&tags[0], &tags[1]])
        .count(&conn)
        .unwrap();
    assert_eq!(any, 3);
    let rust = Article::query()
        .filter_related(Article::TAGS, |c| c.name.eq("rust"))
        .count(&conn)
        .unwrap();
    assert_eq!(rust, 2);
    let not_rust = Article::query()
        .exclude_related(Article::TAGS, |c| c.name.eq("rust"))
        .count(&conn)
        .unwrap();
    assert_eq!(not_rust, 3);
    log.clear();
    let counted = Article::query()
        .with_count(Article::TAGS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(log.count(), 1);
    assert_eq!(
        counted.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![2, 1, 2, 0, 0]
    );
    let rev = Tag::ARTICLES.prefetch(&conn, &tags).unwrap();
    assert_eq!(rev.get(&tags[0]).len(), 2);
    let mut us = Vec::new();
    for n in ["x", "y", "z"] {
        let mut u = User {
            id: 0,
            name: n.into(),
            friends: Default::default(),
            following: Default::default(),
        };
        u.insert(&conn).unwrap();
        us.push(u);
    }
    us[1]
        .friends()
        .add(&conn, [&us[0], &us[2], &us[1]])
        .unwrap();
    let f = User::FRIENDS.prefetch(&conn, &us).unwrap();
    assert_eq!(f.get(&us[0]).len(), 1);
    assert_eq!(
        f.get(&us[1]).iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let wc = User::query()
        .with_count(User::FRIENDS)
        .fetch_all(&conn)
        .unwrap();
    assert_eq!(
        wc.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![1, 3, 1]
    );
    let fr = User::query()
        .filter_related(User::FRIENDS, |c| c.name.eq("x"))
        .count(&conn)
        .unwrap();
    assert_eq!(fr, 1);
    let big: Vec<i64> = (1..=100_000).collect();
    let p = Article::TAGS.prefetch(&conn, big).unwrap();
    assert_eq!(p.len(), 100_000);
}

/// A relation with pivot data. `source`/`target` name the through model's
/// fields; the junction's columns are those fields' columns.
pub mod pivot {
    use m2m::{ManyToMany, Model};

    #[derive(Model, Debug, Clone, PartialEq, Default)]
    pub struct Enrollment {
        pub id: i64,
        // The column is `learner`: the relation must use it, not the field's name.
        #[model(column = "learner")]
        pub student_id: i64,
        pub course_id: i64,
        pub grade: Option<String>,
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
        #[many_to_many(
            through_model = Enrollment,
            source = "student_id",
            target = "course_id",
            related_name = "students"
        )]
        pub courses: ManyToMany<Course>,
    }

    #[derive(Model, Debug, Clone, PartialEq, Default)]
    pub struct Collab {
        pub id: i64,
        pub from_colleague_id: i64,
        pub to_colleague_id: i64,
        pub since: String,
    }

    /// A symmetrical relation with pivot data; `source`/`target` default to
    /// `from_colleague_id`/`to_colleague_id`.
    #[derive(Model, Debug, Clone, PartialEq)]
    pub struct Colleague {
        pub id: i64,
        #[many_to_many(through_model = Collab, symmetrical)]
        pub colleagues: ManyToMany<Self>,
    }
}

#[test]
fn through_model_relations_use_the_through_table() {
    use pivot::{Collab, Colleague, Course, Enrollment, Student};
    let def = |d: &m2m::RelationDef| {
        (
            d.name(),
            d.junction_table(),
            d.source(),
            d.target(),
            d.symmetrical(),
            d.declared(),
            d.through().map(|t| t.name()),
        )
    };
    assert_eq!(Enrollment::TABLE.name(), "enrollment");
    assert_eq!(
        def(Student::COURSES.def()),
        (
            "Student.courses",
            "enrollment",
            "learner",
            "course_id",
            false,
            true,
            Some("enrollment")
        )
    );
    assert!(std::ptr::eq(
        Student::COURSES.def().through().unwrap(),
        Enrollment::TABLE
    ));
    assert_eq!(Student::COURSES.def().owner().name(), "student");
    assert_eq!(Student::COURSES.def().target_table().name(), "course");
    assert_eq!(
        def(Course::STUDENTS.def()),
        (
            "Course.students",
            "enrollment",
            "course_id",
            "learner",
            false,
            false,
            Some("enrollment")
        )
    );
    assert_eq!(Course::STUDENTS.def().owner().name(), "course");
    assert_eq!(Course::STUDENTS.def().target_table().name(), "student");
    assert_eq!(
        def(Colleague::COLLEAGUES.def()),
        (
            "Colleague.colleagues",
            "collab",
            "from_colleague_id",
            "to_colleague_id",
            true,
            true,
            Some(Collab::TABLE.name())
        )
    );

    let sql = Student::schema_sql();
    assert!(
        sql.contains(r#"CREATE TABLE IF NOT EXISTS "enrollment" ("#),
        "{sql}"
    );
    assert!(
        sql.contains(r#""learner" INTEGER NOT NULL REFERENCES "student" ("id") ON DELETE CASCADE"#),
        "{sql}"
    );
    assert!(
        sql.contains(
            r#""course_id" INTEGER NOT NULL REFERENCES "course" ("id") ON DELETE CASCADE"#
        ),
        "{sql}"
    );
    assert!(
        sql.contains(r#"CREATE UNIQUE INDEX IF NOT EXISTS "enrollment.learner.course_id" ON "enrollment" ("learner", "course_id");"#),
        "{sql}"
    );
    let sql = Colleague::schema_sql();
    assert!(
        sql.contains(r#"CHECK ("from_colleague_id" <= "to_colleague_id")"#),
        "{sql}"
    );
    assert!(
        sql.contains(r#"ON "collab" ("from_colleague_id", "to_colleague_id")"#),
        "{sql}"
    );
}

#[test]
fn through_model_relations_carry_pivot_data() {
    use pivot::{Collab, Colleague, Course, Enrollment, Student};
    let conn = m2m::open_in_memory().unwrap();
    Course::create_table(&conn).unwrap();
    Student::create_table(&conn).unwrap();
    Colleague::create_table(&conn).unwrap();
    let mut course = Course {
        id: 0,
        title: "SQL".into(),
    };
    course.insert(&conn).unwrap();
    let mut student = Student {
        id: 0,
        name: "Ada".into(),
        courses: Default::default(),
    };
    student.insert(&conn).unwrap();

    let linked = student
        .courses()
        .add_with(
            &conn,
            &course,
            Enrollment {
                grade: Some("A".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(linked);
    let pivot = student.courses().pivot(&conn, &course).unwrap().unwrap();
    assert_eq!(
        (pivot.student_id, pivot.course_id, pivot.grade.as_deref()),
        (student.id, course.id, Some("A"))
    );
    assert_ne!(pivot.id, 0);
    let seen = course.students().fetch_with_pivot(&conn).unwrap();
    assert_eq!(seen, vec![(student.clone(), pivot)]);

    let mut a = Colleague {
        id: 0,
        colleagues: Default::default(),
    };
    let mut b = a.clone();
    a.insert(&conn).unwrap();
    b.insert(&conn).unwrap();
    let since = Collab {
        since: "2024".into(),
        ..Default::default()
    };
    assert!(b.colleagues().add_with(&conn, &a, since).unwrap());
    let from_a = a.colleagues().pivot(&conn, &b).unwrap().unwrap();
    assert_eq!(
        (from_a.from_colleague_id, from_a.to_colleague_id),
        (a.id, b.id)
    );
    assert_eq!(from_a.since, "2024");
    assert_eq!(a.colleagues().fetch_all(&conn).unwrap(), vec![b.clone()]);
}

/// The through model expansion names everything by absolute path, like the
/// rest (see `tests/hygiene.rs`): it compiles warning-free where the
/// prelude's names mean something else.
pub mod pivot_hygiene {
    #![deny(warnings, missing_docs)]

    use m2m::{ManyToMany, Model};

    /// Shadows `core::result::Result`.
    pub struct Result;
    /// Shadows `Result::Ok`.
    pub struct Ok;
    /// Shadows `core::option::Option`.
    pub struct Option;
    /// Shadows `Option::Some`.
    pub struct Some;
    /// Shadows `Option::None`.
    pub struct None;
    /// Shadows `alloc::string::String`.
    pub struct String;
    /// Shadows `core::default::Default`.
    pub trait Default {}
    /// Shadows `core::assert!`.
    #[allow(unused_macros)]
    macro_rules! assert {
        ($($t:tt)*) => {
            compile_error!("the prelude's `assert!` was used")
        };
    }

    /// A through model with a raw field.
    #[derive(Model)]
    pub struct Membership {
        /// Key.
        pub id: i64,
        /// Holds the group's key.
        pub r#type: i64,
        /// Holds the member's key.
        pub member_id: i64,
        /// Pivot data.
        pub role: ::std::string::String,
    }

    /// Owner of a relation with pivot data.
    #[derive(Model)]
    pub struct Member {
        /// Key.
        pub id: i64,
        /// Forward; `Group::members()` is the reverse.
        #[many_to_many(through_model = Membership, target = "type", related_name = "members")]
        pub groups: ManyToMany<Group>,
    }

    /// Target.
    #[derive(Model)]
    pub struct Group {
        /// Key.
        pub id: i64,
    }
}

#[test]
fn through_model_with_raw_field() {
    use pivot_hygiene::{Group, Member};
    let def = Member::GROUPS.def();
    assert_eq!((def.source(), def.target()), ("member_id", "type"));
    assert_eq!(
        (Group::MEMBERS.def().source(), Group::MEMBERS.def().target()),
        ("type", "member_id")
    );
}
