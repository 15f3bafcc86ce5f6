// The user related a model to a struct that does not derive `Model`.
use m2m::{ManyToMany, Model};

struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Tag>,
}

fn main() {
    let _ = Tag { id: 1 }.id;
}
