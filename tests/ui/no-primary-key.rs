// The user's model has no `id` field and no field marked `#[model(primary_key)]`.
// That is the only error: `Tag` is still a model to the rest of the crate.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    name: String,
}

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany<Tag>,
}

fn main() {
    let conn = m2m::open_in_memory().unwrap();
    let _ = Tag::create_table(&conn);
    let article = Article { id: 1, tags: ManyToMany::default() };
    let _ = article.tags().count(&conn);
}
