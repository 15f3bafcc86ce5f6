// The user gave a `symmetrical` relation a `related_name`, but a symmetrical
// relation has no separate reverse side.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct User {
    id: i64,
    #[many_to_many(symmetrical, related_name = "friend_of")]
    friends: ManyToMany<Self>,
}

fn main() {}
