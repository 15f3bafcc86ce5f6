//! The expansion names everything it uses by absolute path: it compiles,
//! warning-free, in a module that shadows the prelude, and it is documented
//! enough for `#![deny(missing_docs)]`.

/// Models declared where the prelude's names mean something else.
pub mod shadowed {
    #![deny(warnings, missing_docs)]

    use m2m::{ManyToMany, Model};

    /// Shadows `core::result::Result`.
    pub struct Result;
    /// Shadows `Result::Ok`.
    pub struct Ok;
    /// Shadows `Result::Err`.
    pub struct Err;
    /// Shadows `core::option::Option`.
    pub struct Option;
    /// Shadows `Option::Some`.
    pub struct Some;
    /// Shadows `Option::None`.
    pub struct None;
    /// Shadows `alloc::vec::Vec`.
    pub struct Vec;
    /// Shadows `alloc::string::String`.
    pub struct String;
    /// Shadows `core::default::Default`.
    pub trait Default {}
    /// Shadows `alloc::boxed::Box`.
    pub struct Box;
    /// Shadows `core::ops::FnMut`.
    pub trait FnMut {}
    /// Shadows `core::clone::Clone`.
    pub trait Clone {}
    /// Shadows `core::marker::Copy`.
    pub trait Copy {}

    /// A forward relation with a reverse accessor, a raw field, a renamed
    /// column, a skipped field and a nullable column.
    #[derive(Model, Debug, PartialEq)]
    #[model(table = "posts")]
    pub struct Post {
        /// Key.
        pub id: i64,
        /// A raw identifier: the column is `type`.
        pub r#type: ::std::string::String,
        /// Stored as `headline`.
        #[model(column = "headline")]
        pub title: ::std::string::String,
        /// Nullable.
        pub body: ::core::option::Option<::std::string::String>,
        /// Not stored.
        #[model(skip)]
        pub cached: ::std::vec::Vec<u8>,
        /// Forward relation; `Label::posts()` is the reverse.
        #[many_to_many(related_name = "posts")]
        pub labels: ManyToMany<Label>,
    }

    /// A model keyed by a `String`.
    #[derive(Model, Debug, PartialEq)]
    pub struct Label {
        /// Key, given by the user.
        #[model(primary_key)]
        pub code: ::std::string::String,
        /// Unique, indexed.
        #[model(unique, index)]
        pub title: ::std::string::String,
    }

    /// Self relations: symmetrical and directional.
    #[derive(Model, Debug)]
    pub struct Person {
        /// Key.
        pub id: i64,
        /// Symmetrical.
        #[many_to_many(symmetrical)]
        pub friends: ManyToMany<Self>,
        /// Directional, reverse `followers`.
        #[many_to_many(related_name = "followers", through = "follows")]
        pub following: ManyToMany<Person>,
        /// Raw relation name, no reverse.
        #[many_to_many(related_name = "+")]
        pub r#ref: ManyToMany<Label>,
    }

    /// A private model with a public relation field: its reverse accessor on
    /// the public `Label` takes `Draft`'s visibility (else `private_interfaces`).
    #[derive(Model)]
    struct Draft {
        id: i64,
        #[many_to_many(related_name = "drafts")]
        pub labels: ManyToMany<Label>,
    }

    /// Links a new `Draft` to the label `code` and counts the label's drafts.
    pub fn draft_count(conn: &m2m::rusqlite::Connection, code: &str) -> m2m::Result<u64> {
        Draft::create_table(conn)?;
        let mut draft = Draft {
            id: 0,
            labels: ManyToMany::default(),
        };
        draft.insert(conn)?;
        draft.labels().add(conn, [code])?;
        match Label::get(conn, code)? {
            ::core::option::Option::Some(label) => label.drafts().count(conn),
            ::core::option::Option::None => ::core::result::Result::Ok(0),
        }
    }

    /// A lower-case model (`noteColumns` must not trip
    /// `non_camel_case_types`) with fields not in snake_case (nor their
    /// accessors `non_snake_case`); the user allows both on the struct.
    #[allow(non_camel_case_types, non_snake_case)]
    #[derive(Model, Debug)]
    pub struct note {
        /// Key.
        #[model(primary_key)]
        pub ID: i64,
        /// Not snake_case.
        pub Text: ::std::string::String,
        /// A relation not in snake_case, with a default reverse accessor.
        pub Labels: ManyToMany<Label>,
    }

    /// Uses the lower-case model's accessor and columns.
    pub fn note_labels(conn: &m2m::rusqlite::Connection) -> m2m::Result<u64> {
        note::create_table(conn)?;
        let mut n = note {
            ID: 0,
            Text: "x".into(),
            Labels: ManyToMany::default(),
        };
        n.insert(conn)?;
        n.Labels().add(conn, ["rs"])?;
        let found = note::query().filter(|c| c.Text.eq("x")).count(conn)?;
        ::core::result::Result::Ok(found + n.Labels().count(conn)?)
    }

    /// Uses every shadowing item, so none is dead code.
    pub fn use_shadows(
        _: (Result, Ok, Err, Option, Some, None, Vec, String, Box),
        _: (&dyn Default, &dyn FnMut, &dyn Clone, &dyn Copy),
    ) {
    }
}

use m2m::Model;
use shadowed::{Label, Person, Post};

#[test]
fn round_trip_through_the_shadowed_models() {
    let conn = m2m::open_in_memory().unwrap();
    Label::create_table(&conn).unwrap();
    Post::create_table(&conn).unwrap();
    Person::create_table(&conn).unwrap();

    let mut label = Label {
        code: "rs".into(),
        title: "Rust".into(),
    };
    label.insert(&conn).unwrap();
    assert_eq!(Label::get(&conn, "rs").unwrap(), Some(label));

    let mut post = Post {
        id: 0,
        r#type: "note".into(),
        title: "Hello".into(),
        body: None,
        cached: vec![1, 2],
        labels: Default::default(),
    };
    post.insert(&conn).unwrap();
    assert_ne!(post.id, 0);
    let loaded = Post::get(&conn, post.id).unwrap().unwrap();
    assert_eq!(loaded.r#type, "note");
    assert_eq!(loaded.title, "Hello");
    assert_eq!(loaded.body, None);
    assert!(
        loaded.cached.is_empty(),
        "skipped fields load as their default"
    );

    assert_eq!(post.labels().add(&conn, ["rs"]).unwrap(), 1);
    let rs = Label::get(&conn, "rs").unwrap().unwrap();
    assert_eq!(rs.posts().keys(&conn).unwrap(), vec![post.key()]);
    assert_eq!(
        Post::query()
            .filter(|c| c.r#type.eq("note"))
            .count(&conn)
            .unwrap(),
        1
    );

    let mut a = Person {
        id: 0,
        friends: Default::default(),
        following: Default::default(),
        r#ref: Default::default(),
    };
    let mut b = Person {
        id: 0,
        friends: Default::default(),
        following: Default::default(),
        r#ref: Default::default(),
    };
    a.insert(&conn).unwrap();
    b.insert(&conn).unwrap();
    a.friends().add(&conn, [&b]).unwrap();
    assert!(b.friends().contains(&conn, &a).unwrap());
    a.following().add(&conn, [&b]).unwrap();
    assert_eq!(b.followers().keys(&conn).unwrap(), vec![a.key()]);
    assert!(a.followers().keys(&conn).unwrap().is_empty());
    a.r#ref().add(&conn, [&rs]).unwrap();
    assert_eq!(Person::REF.def().junction_table(), "person_ref");
    assert_eq!(shadowed::draft_count(&conn, "rs").unwrap(), 1);
    assert_eq!(shadowed::note_labels(&conn).unwrap(), 2);
}

#[test]
fn names_are_unrawed_and_renamed() {
    let cols: Vec<&str> = Post::TABLE.columns().iter().map(|c| c.name()).collect();
    assert_eq!(cols, ["id", "type", "headline", "body"]);
    assert_eq!(Person::FOLLOWING.def().junction_table(), "follows");
    assert_eq!(Person::FOLLOWERS.def().name(), "Person.followers");
    assert_eq!(Label::TABLE.columns()[0].sql_type(), "TEXT");
}
