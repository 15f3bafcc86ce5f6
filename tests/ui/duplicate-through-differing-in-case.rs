// The user gave two relations junction tables whose names differ only by
// case: SQLite folds the case of names, so they would share their links.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Topic {
    id: i64,
}

#[derive(Model)]
struct Essay {
    id: i64,
    #[many_to_many(through = "Essay_Topics", related_name = "essays")]
    topics: ManyToMany<Topic>,
    #[many_to_many(through = "essay_topics", related_name = "featured_in")]
    featured: ManyToMany<Topic>,
}

fn main() {}
