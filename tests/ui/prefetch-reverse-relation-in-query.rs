// The user asks `Query::prefetch` to fill a reverse relation (`Tag::ARTICLES`),
// but `Tag` has no `ManyToMany` field for it: only the declaring side does.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = "articles")]
    tags: ManyToMany<Tag>,
}

fn main() {
    let _ = Tag::query().prefetch(Tag::ARTICLES);
}
