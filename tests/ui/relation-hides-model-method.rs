// The user named a relation `key`, and its accessor `article.key()` would
// hide `Model::key`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    key: ManyToMany<Tag>,
}

fn main() {}
