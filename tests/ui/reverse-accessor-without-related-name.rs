// The user called `tag.articles()`, but `Article.tags` has no
// `related_name`: its reverse accessor has the default name `article_set`.
use m2m_core::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Tag>,
}

#[allow(dead_code)]
fn articles_of(conn: &m2m_core::rusqlite::Connection, tag: &Tag) {
    let _ = tag.articles().count(conn);
}

fn main() {}
