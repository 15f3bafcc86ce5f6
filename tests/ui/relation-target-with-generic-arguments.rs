// The user wrote `ManyToMany<Vec<Tag>>`: a relation already holds many
// targets, and its target is one model.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Vec<Tag>>,
}

fn main() {}
