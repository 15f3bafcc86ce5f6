//! Correct programs the derive must accept, and get right at run time:
//! right at run time. The mistakes it must refuse are UI tests.

/// The reverse accessor takes the owner struct's visibility: a private
/// relation field on `Book` still lets `Shelf`'s own module (another module)
/// ask a shelf for its books.
mod reverse_visibility {
    pub mod books {
        use m2m::{ManyToMany, Model};

        #[derive(Model, Debug)]
        pub struct Book {
            pub id: i64,
            pub title: String,
            // Private: only this module writes links through `shelves()`.
            #[many_to_many(related_name = "books")]
            shelves: ManyToMany<super::shelves::Shelf>,
        }

        impl Book {
            pub fn stored(conn: &impl m2m::Db, title: &str) -> Book {
                let mut book = Book {
                    id: 0,
                    title: title.to_owned(),
                    shelves: ManyToMany::default(),
                };
                book.insert(conn).unwrap();
                book
            }

            pub fn put_on(&self, conn: &impl m2m::Db, shelf: &super::shelves::Shelf) {
                assert_eq!(self.shelves().add(conn, [shelf]).unwrap(), 1);
            }
        }
    }

    pub mod shelves {
        use m2m::Model;

        #[derive(Model, Debug)]
        pub struct Shelf {
            pub id: i64,
        }

        impl Shelf {
            /// Calls the reverse accessor from the target's own module.
            pub fn titles(&self, conn: &impl m2m::Db) -> Vec<String> {
                self.books()
                    .fetch_all(conn)
                    .unwrap()
                    .into_iter()
                    .map(|b| b.title)
                    .collect()
            }
        }
    }

    use m2m::Model;

    use books::Book;
    use shelves::Shelf;

    dual! {
        fn the_target_module_reads_the_reverse_of_a_private_field() {
            let conn = crate::models::empty(db);
            Shelf::create_table(&conn).unwrap();
            Book::create_table(&conn).unwrap();
            let mut shelf = Shelf { id: 0 };
            shelf.insert(&conn).unwrap();
            let book = Book::stored(&conn, "Dune");
            book.put_on(&conn, &shelf);
            assert_eq!(shelf.titles(&conn), ["Dune"]);
            // ...and so does any module that sees `Book`, by accessor and descriptor.
            assert_eq!(shelf.books().count(&conn).unwrap(), 1);
            assert_eq!(
                Shelf::BOOKS.of_key(shelf.id).keys(&conn).unwrap(),
                vec![book.key()]
            );
        }
    }
}

/// Keys given by reference: the items of `&ids`, `&codes`, `&refs` and
/// `&["a", "b"]`, and a `&&Row` from iterating a `Vec<&Row>`.
mod keys_by_reference {
    // The borrowed forms are the point: they must compile.
    #![allow(clippy::needless_borrows_for_generic_args)]

    use m2m::Model;

    use crate::models::*;

    dual! {
        fn references_to_raw_integer_keys() {
            let conn = db();
            let post = article(&conn, "p");
            let t = tags(&conn, &["a", "b", "c"]);
            let keys: Vec<i64> = t.iter().map(|t| t.id).collect();
            // `&keys` (a `Vec<i64>`) yields `&i64`.
            assert_eq!(post.tags().add(&conn, &keys).unwrap(), 3);
            assert!(post.tags().contains(&conn, &keys[0]).unwrap());
            assert_eq!(post.tags().remove(&conn, &keys[1..]).unwrap(), 2);
            assert_eq!(ids(&post.tags().keys(&conn).unwrap()), [keys[0]]);
            assert_eq!(
                Tag::get(&conn, &keys[2]).unwrap().map(|t| t.name),
                Some("c".into())
            );
        }
    }

    dual! {
        fn references_to_raw_string_keys() {
            let conn = db();
            let fr = country(&conn, "FR", "France");
            language(&conn, "fr", "French");
            language(&conn, "br", "Breton");
            language(&conn, "oc", "Occitan");
            let codes: Vec<String> = vec!["fr".into(), "br".into()];
            // `&codes` yields `&String`; `&["..."]` yields `&&str`.
            assert_eq!(fr.languages().add(&conn, &codes).unwrap(), 2);
            assert_eq!(fr.languages().add(&conn, &["oc", "fr"]).unwrap(), 1);
            assert!(fr.languages().contains(&conn, &codes[1]).unwrap());
            assert!(fr.languages().contains(&conn, &"oc").unwrap());
            assert_eq!(fr.languages().remove(&conn, &["br", "oc"]).unwrap(), 2);
            let left: Vec<String> = fr
                .languages()
                .keys(&conn)
                .unwrap()
                .into_iter()
                .map(|k| k.into_inner())
                .collect();
            assert_eq!(left, ["fr"]);
        }
    }

    dual! {
        fn references_to_references_to_rows() {
            let conn = db();
            let posts = [article(&conn, "p"), article(&conn, "q")];
            let t = tags(&conn, &["a", "b", "c"]);
            // `&refs` for a `Vec<&Tag>` yields `&&Tag`.
            let refs: Vec<&Tag> = t.iter().filter(|t| t.name != "b").collect();
            assert_eq!(posts[0].tags().add(&conn, &refs).unwrap(), 2);
            assert!(posts[0].tags().contains(&conn, &refs[1]).unwrap());
            assert_eq!(
                posts[1].tags().set(&conn, &refs[..1]).unwrap().added,
                [t[0].key()]
            );

            // Prefetch over a `Vec<&Article>`, read back with each `&&Article`.
            let owners: Vec<&Article> = posts.iter().collect();
            let loaded = Article::TAGS.prefetch(&conn, &owners).unwrap();
            let mut names = Vec::new();
            for owner in &owners {
                let tags: Vec<&str> = loaded.get(owner).iter().map(|t| t.name.as_str()).collect();
                names.push(tags);
            }
            assert_eq!(names, [vec!["a", "c"], vec!["a"]]);
        }
    }
}

/// A relation to `Self` written as a path to the struct: the same defaults,
/// `symmetrical` allowed, and a reverse accessor.
mod self_by_path {
    use m2m::{ManyToMany, Model};

    #[derive(Model, Debug)]
    pub struct Member {
        pub id: i64,
        #[many_to_many(symmetrical)]
        pub friends: ManyToMany<crate::accepted::self_by_path::Member>,
        #[many_to_many(related_name = "mentors")]
        pub mentees: ManyToMany<self::Member>,
    }

    fn member(conn: &impl m2m::Db) -> Member {
        let mut m = Member {
            id: 0,
            friends: ManyToMany::default(),
            mentees: ManyToMany::default(),
        };
        m.insert(conn).unwrap();
        m
    }

    dual! {
        fn paths_to_the_struct_are_self_relations() {
            let conn = crate::models::empty(db);
            Member::create_table(&conn).unwrap();
            let (a, b) = (member(&conn), member(&conn));

            // The defaults of a self relation.
            let friends = Member::FRIENDS.def();
            assert_eq!(
                (friends.source(), friends.target()),
                ("from_member_id", "to_member_id")
            );
            assert!(friends.symmetrical());
            let mentees = Member::MENTEES.def();
            assert_eq!(
                (mentees.source(), mentees.target()),
                ("from_member_id", "to_member_id")
            );

            // Symmetrical: one link, seen from both sides.
            assert_eq!(a.friends().add(&conn, [&b]).unwrap(), 1);
            assert_eq!(b.friends().keys(&conn).unwrap(), vec![a.key()]);
            assert_eq!(b.friends().add(&conn, [&a]).unwrap(), 0);

            // Directional, with its reverse accessor.
            assert_eq!(a.mentees().add(&conn, [&b]).unwrap(), 1);
            assert_eq!(b.mentors().keys(&conn).unwrap(), vec![a.key()]);
            assert!(a.mentors().keys(&conn).unwrap().is_empty());
            assert_eq!(Member::MENTORS.of_key(b.id).count(&conn).unwrap(), 1);
        }
    }
}
