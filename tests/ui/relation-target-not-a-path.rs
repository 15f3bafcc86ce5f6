// The user gave `ManyToMany` a reference instead of a model type.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<&'static Tag>,
}

fn main() {}
