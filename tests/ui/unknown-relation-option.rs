// The user misspelled `through` as `thorugh` in `#[many_to_many(...)]`.
// That is the only error: the valid `related_name` next to it still applies.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(thorugh = "article_tags", related_name = "articles")]
    tags: ManyToMany<Tag>,
}

fn main() {
    let tag = Tag { id: 1 };
    let _ = tag.articles();
}
