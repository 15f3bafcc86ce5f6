// The user wrote `related_name = articles` without quotes.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = articles)]
    tags: ManyToMany<Tag>,
}

fn main() {}
