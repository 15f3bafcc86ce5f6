//! Correctness at the edges (issue #9): what the derive must accept and get
//! right at run time. The mistakes it must refuse are UI tests.

/// The reverse accessor takes the owner struct's visibility: a private
/// relation field on `Book` still lets `Shelf`'s own module (another module)
/// ask a shelf for its books.
mod reverse_visibility {
    pub mod books {
        use m2m_core::rusqlite::Connection;
        use m2m_core::{ManyToMany, Model};

        #[derive(Model, Debug)]
        pub struct Book {
            pub id: i64,
            pub title: String,
            // Private: only this module writes links through `shelves()`.
            #[many_to_many(related_name = "books")]
            shelves: ManyToMany<super::shelves::Shelf>,
        }

        impl Book {
            pub fn stored(conn: &Connection, title: &str) -> Book {
                let mut book = Book {
                    id: 0,
                    title: title.to_owned(),
                    shelves: ManyToMany::default(),
                };
                book.insert(conn).unwrap();
                book
            }

            pub fn put_on(&self, conn: &Connection, shelf: &super::shelves::Shelf) {
                assert_eq!(self.shelves().add(conn, [shelf]).unwrap(), 1);
            }
        }
    }

    pub mod shelves {
        use m2m_core::Model;
        use m2m_core::rusqlite::Connection;

        #[derive(Model, Debug)]
        pub struct Shelf {
            pub id: i64,
        }

        impl Shelf {
            /// Calls the reverse accessor from the target's own module.
            pub fn titles(&self, conn: &Connection) -> Vec<String> {
                self.books()
                    .fetch_all(conn)
                    .unwrap()
                    .into_iter()
                    .map(|b| b.title)
                    .collect()
            }
        }
    }

    use m2m_core::Model;

    use books::Book;
    use shelves::Shelf;

    #[test]
    fn the_target_module_reads_the_reverse_of_a_private_field() {
        let conn = m2m_core::open_in_memory().unwrap();
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
