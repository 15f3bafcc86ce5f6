// The user marked a relation between two different models `symmetrical`,
// which only makes sense for a relation of a model to itself.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(symmetrical)]
    tags: ManyToMany<Tag>,
}

fn main() {}
