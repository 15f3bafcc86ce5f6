// The user wrapped a relation in `Option`: a relation is a `ManyToMany<T>`
// field as such (it is empty until loaded), so `Option<ManyToMany<Tag>>` is
// taken for a column, which it cannot be.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: Option<ManyToMany<Tag>>,
}

fn main() {}
