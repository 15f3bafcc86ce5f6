// The user filtered articles through `Tag::ARTICLES`, a relation of `Tag`
// (whose rows are tags), instead of `Article::TAGS`.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
    name: String,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(related_name = "articles")]
    tags: ManyToMany<Tag>,
}

#[allow(dead_code)]
fn tagged_rust(conn: &m2m::rusqlite::Connection) {
    let _ = Article::query()
        .filter_related(Tag::ARTICLES, |c| c.id.gt(0))
        .count(conn);
}

fn main() {}
