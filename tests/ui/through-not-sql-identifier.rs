// The user named the junction table with a space in it.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(through = "article tags")]
    tags: ManyToMany<Tag>,
}

fn main() {}
