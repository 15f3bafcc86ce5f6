// The user pointed two relations at the same junction table.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(through = "article_tags", related_name = "articles")]
    tags: ManyToMany<Tag>,
    #[many_to_many(through = "article_tags", related_name = "featured_in")]
    featured: ManyToMany<Tag>,
}

fn main() {}
