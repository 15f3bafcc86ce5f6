// The user asked for the pivot row of a relation declared without a
// `through_model`, which has no pivot data.
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

#[allow(dead_code)]
fn pivot_of(conn: &m2m::rusqlite::Connection, article: &Article, tag: &Tag) {
    let _ = article.tags().pivot(conn, tag);
}

fn main() {}
