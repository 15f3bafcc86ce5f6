// The user named the relation's type through a type alias: the derive sees
// `Tags`, not `ManyToMany<Tag>`, and takes the field for a column.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

type Tags = ManyToMany<Tag>;

#[derive(Model)]
struct Article {
    id: i64,
    tags: Tags,
}

fn main() {}
