// The user named a junction table `Memo` on the model whose table is
// `memo`: SQLite folds the case of names, so it is the same table.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Tag {
    id: i64,
}

#[derive(Model)]
struct Memo {
    id: i64,
    #[many_to_many(through = "Memo", related_name = "memos")]
    tags: ManyToMany<Tag>,
}

fn main() {}
