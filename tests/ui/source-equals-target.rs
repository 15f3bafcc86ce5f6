// The user gave both junction columns of a relation the same name.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(source = "id", target = "id")]
    tags: ManyToMany<Tag>,
}

fn main() {}
