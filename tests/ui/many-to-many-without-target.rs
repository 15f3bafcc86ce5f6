// The user wrote `ManyToMany` without the target model. rustc's own error is
// the only one: the derive adds nothing on top of it.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Article {
    id: i64,
    tags: ManyToMany,
}

fn main() {}
