// The user made one mistake in a relation's attribute (a space in `through`);
// it is the only error: the accessors it declares still exist.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Article {
    id: i64,
    #[many_to_many(through = "article tags", related_name = "articles")]
    tags: ManyToMany<Tag>,
}

fn main() {
    let conn = m2m::open_in_memory().unwrap();
    let article = Article { id: 1, tags: ManyToMany::default() };
    let tag = Tag { id: 1 };
    let _ = article.tags().count(&conn);
    let _ = tag.articles().count(&conn);
    let _ = Article::TAGS;
}
