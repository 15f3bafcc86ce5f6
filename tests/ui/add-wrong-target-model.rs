// The user passed a `User` to `add` on a relation whose targets are `Tag`s.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct User {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Tag>,
}

fn main() {
    let conn = m2m::open_in_memory().unwrap();
    let article = Article { id: 1, tags: ManyToMany::default() };
    let user = User { id: 1 };
    let _ = article.tags().add(&conn, [&user]);
}
