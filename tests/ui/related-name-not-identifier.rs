// The user wrote the reverse accessor's name in CamelCase.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = "TaggedArticles")]
    tags: ManyToMany<Tag>,
}

fn main() {}
