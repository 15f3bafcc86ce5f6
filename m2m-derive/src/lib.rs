//! The derive of m2m: `#[derive(Model)]`. Use it through `m2m`, which
//! re-exports it; its crate docs have compiled examples of everything below.
//!
//! The derive reads the struct and its attributes (`attr`, `ast`: names and
//! their defaults in `name`, what a field's type says in `ty`, the rules
//! about one field or attribute in `valid`), checks the rules across fields
//! (`check`), and emits data plus one-line accessors (`expand`); every
//! mistake goes through `report`. It writes no SQL: the runtime does, from
//! the emitted data.
//!
//! # Generated items
//!
//! For `struct Article { id: i64, title: String, tags: ManyToMany<Tag> }`:
//!
//! - `impl Model for Article`: the table description (`Model::TABLE`), key
//!   access, row mapping; `Article::COLUMNS`. And `impl Pivot for Article`,
//!   so any model can be a `through_model`.
//! - `struct ArticleColumns` (the struct's visibility): one typed `Column`
//!   per stored field, handed to query closures.
//! - `impl IntoKey<Article> for i64` and `for &i64` (the key type, by value
//!   and by reference), plus `for &str` and `for &&str` when the key is a
//!   `String`.
//! - Per relation field `tags` (the field's visibility): `Article::TAGS`
//!   and `article.tags()`; and on `Tag`, unless `related_name = "+"` or
//!   `symmetrical`: `Tag::ARTICLES` and `tag.articles()`, with `Article`'s
//!   visibility. The field's privacy governs only the forward accessor: a
//!   private `tags` field still lets the code that sees `Article` (`Tag`'s
//!   module included) walk from a tag to its articles, and a private
//!   `Article` does not put a public method returning it on `Tag`. With
//!   `through_model = P`, both carry `P` as their third type argument (see
//!   "Pivot data" below).
//!
//! # Attributes
//!
//! ## Container: `#[model(...)]` on the struct
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `table = "name"` | the SQL table | snake_case of the struct name (`BlogPost` -> `blog_post`) |
//!
//! ## Fields: `#[model(...)]` on a stored field
//!
//! | option | meaning |
//! |---|---|
//! | `primary_key` | this field is the key (default: the field named `id`); not an `Option`, not skipped |
//! | `column = "name"` | the SQL column (default: the field name without `r#`) |
//! | `unique` | a `UNIQUE` constraint |
//! | `index` | an index on the column |
//! | `skip` | not stored; `Default::default()` when a row is loaded |
//!
//! An `Option<T>` field is a nullable column of `T` (judged by name, so a
//! local type called `Option` is taken for the standard one). The declared
//! SQL type of every column, the key's included, is
//! `<T as m2m::SqlType>::SQLITE`, emitted at the field's type: a type
//! that is no column (`Vec<String>`, `Option<ManyToMany<Tag>>`, a type alias
//! of a relation) is one error there, in `SqlType`'s words, and the reads
//! and binds of that field add none of rusqlite's.
//!
//! ## Relations: `#[many_to_many(...)]` on a `ManyToMany<T>` field
//!
//! A field whose type's last segment is `ManyToMany<T>` is a relation, with
//! or without the attribute.
//!
//! | option | meaning | default |
//! |---|---|---|
//! | `through = "table"` | the junction table | `{owner_table}_{field}` |
//! | `related_name = "name"` | the reverse accessor on `T`; `"+"` for none | `{owner_snake}_set` |
//! | `symmetrical` | a relation to `Self` that reads the same from both sides | off |
//! | `source = "col"` | junction column of the owner; with `through_model`, the through model's *field* holding the owner's key | `{owner_snake}_id`; `from_{snake}_id` for `Self` |
//! | `target = "col"` | junction column of `T`; with `through_model`, the through model's field holding `T`'s key | `{target_snake}_id`; `to_{snake}_id` for `Self` |
//! | `through_model = Path` | a model whose table is the junction, so each link carries pivot data; not with `through` | none |
//!
//! Without `related_name`, the reverse accessor is `{owner_snake}_set`
//! (`tag.article_set()`, `Tag::ARTICLE_SET`); its docs say so, and it
//! carries `#[doc(alias)]`es of the names a user is likely to guess
//! (`articles`, `article`, the owner's table), which rustc's "no method
//! named `articles`" turns into "there is a method `article_set`". rustc
//! prefers a similarly spelled method to an alias, though: for a self
//! relation `following`, `p.followers()` gets the suggestion `following`,
//! so a self relation should name its reverse.
//!
//! `T` is a relation to `Self` when it is `Self`, the struct's own name, or
//! a path ending in it (`crate::User` inside `User`); such a path is checked
//! at compile time to name the struct.
//!
//! ### Pivot data: `through_model`
//!
//! ```text
//! #[derive(Model, Default)]
//! struct Enrollment { id: i64, student_id: i64, course_id: i64, grade: Option<String> }
//!
//! #[derive(Model)]
//! struct Student {
//!     id: i64,
//!     #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id", related_name = "students")]
//!     courses: ManyToMany<Course>,
//! }
//! ```
//!
//! The junction is the through model's table (created, with foreign keys to
//! both sides and a unique index on the pair, by the owner's
//! `create_table`). `source` and `target` name the through model's **fields**
//! (Rust identifiers; a keyword such as `"type"` names the raw field
//! `r#type`), and the relation uses those fields' columns, so a
//! `#[model(column = "...")]` on them is followed. The defaults are the
//! junction-column defaults read as field names: `student_id` and
//! `course_id` here, `from_user_id` and `to_user_id` for a relation of
//! `User` to itself. `symmetrical` works as without a through model.
//!
//! The descriptors and accessors carry the through model as third type
//! argument: `Student::COURSES: Relation<Student, Course, Enrollment>`,
//! `student.courses(): Related<'_, Student, Course, Enrollment>`, and on the
//! reverse side `Related<'_, Course, Student, Enrollment>`; the pivot calls
//! (`add_with`, `pivot`, `update_pivot`, `fetch_with_pivot`,
//! `filter_pivot`, `sync_with`) exist only on those. `add` without pivot
//! data needs `Enrollment: Default`.
//!
//! What the derive cannot see from `Student` is checked by rustc, at the
//! attribute: the through model is a `Model` (error at `through_model =
//! Enrollment`); the named fields exist (rustc's "no field `student_id` on
//! type `EnrollmentColumns`", at the `source`/`target` value, or at
//! `Enrollment` for a default: then write `source = "..."`); each holds its
//! side's key type (at the value) and is not the through model's own key
//! (a compile-time assertion at the value); the through model's table is
//! neither the owner's nor the target's (an assertion at `Enrollment`); and
//! the through model's key is one SQLite assigns, e.g. `id: i64` (a
//! compile-time assertion at `Enrollment`).
//!
//! ## Rules checked at compile time
//!
//! Every SQL name given in an attribute is a plain identifier
//! (`[A-Za-z_][A-Za-z0-9_]*`), `related_name` a snake_case identifier, and
//! with `through_model`, `source` and `target` Rust identifiers naming two
//! different fields. A model has one key; no two fields share a column; no
//! two relations of a model share a junction or a through model, nor give
//! one target the same reverse accessor; a junction is not named like the
//! owner's table; a
//! self relation's reverse accessor is not one of its fields; no accessor
//! hides a `Model` item (`key`, `get`, `delete`, ..., `TABLE`, `COLUMNS`).
//! SQL names are compared as SQLite does, ignoring ASCII case (`Name` and
//! `name` are one column).
//!
//! What only the other models know is asserted when the crate compiles, at
//! the attribute: a junction is not named like the target's table, a
//! through model's table is neither the owner's nor the target's, and
//! `source`/`target` do not name the through model's own key. (These read
//! `<T as Model>::TABLE`, which a `const` may not, because the table
//! description holds a statement cache; the assertions sit in statics.)
//!
//! Every mistake is reported at once, at the token that caused it; the
//! expansion is still emitted with defaults in place of the invalid values
//! (and a stand-in key when the key is missing), so the rest of the crate
//! does not fail on top of it.
#![warn(missing_docs)]

mod ast;
mod attr;
mod case;
mod check;
mod expand;
mod name;
mod report;
mod ty;
mod valid;

use proc_macro::TokenStream;

/// Derives `m2m::Model` for a struct with named fields. See the
/// `m2m` crate docs for the generated items and the `#[model(...)]` and
/// `#[many_to_many(...)]` attributes.
#[proc_macro_derive(Model, attributes(model, many_to_many))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    expand::derive(input.into()).into()
}
