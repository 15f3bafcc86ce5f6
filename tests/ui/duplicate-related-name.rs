// The user declared two relations to `Tag` and left both with the default
// reverse accessor (`article_set`), so `Tag` would get it twice.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Tag>,
    featured_tags: ManyToMany<Tag>,
}

fn main() {}
