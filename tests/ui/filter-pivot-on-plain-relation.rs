// The user filtered a relation declared without a `through_model` by its
// pivot data, which it does not have.
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
fn graded(conn: &m2m::rusqlite::Connection, article: &Article) {
    let _ = article.tags().filter_pivot(|p| p.grade.eq("A")).count(conn);
}

fn main() {}
