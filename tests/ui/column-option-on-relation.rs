// The user put a column option (`unique`) on a relation field, which is not a column.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[model(unique)]
    tags: ManyToMany<Tag>,
}

fn main() {}
