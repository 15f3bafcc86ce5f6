// The user gave relations of two different models to `Tag` the same
// `related_name`, so `Tag` would get two `items` accessors.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = "items")]
    tags: ManyToMany<Tag>,
}

#[derive(Model)]
struct Video {
    id: i64,
    #[many_to_many(related_name = "items")]
    tags: ManyToMany<Tag>,
}

fn main() {}
