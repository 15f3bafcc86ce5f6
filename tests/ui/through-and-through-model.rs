// The user gave a relation both a junction table name and a junction model.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Tagging {
    id: i64,
    article_id: i64,
    tag_id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(through = "taggings", through_model = Tagging)]
    tags: ManyToMany<Tag>,
}

fn main() {}
