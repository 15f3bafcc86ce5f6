// The user named the junction table like the target's table (`TAG` and
// `tag` are one table to SQLite).
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(through = "TAG", related_name = "articles")]
    tags: ManyToMany<Tag>,
}

fn main() {}
