// The user put `#[many_to_many]` on a `Vec<Tag>` instead of a `ManyToMany<Tag>`.
use m2m::Model;

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = "articles")]
    tags: Vec<Tag>,
}

fn main() {}
