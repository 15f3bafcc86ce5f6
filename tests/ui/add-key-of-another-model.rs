// The user passed a `Key<User>` to `add` on a relation whose targets are
// `Tag`s: keys are typed, so a key of one model never stands for another's,
// even though both are `i64` underneath.
use m2m::{Key, ManyToMany, Model};

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
    let _ = article.tags().add(&conn, [Key::<User>::new(1)]);
}
