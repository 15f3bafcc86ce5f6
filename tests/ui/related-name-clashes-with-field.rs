// The user named the reverse accessor of a self relation like one of the
// model's own fields.
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct User {
    id: i64,
    #[many_to_many(symmetrical)]
    friends: ManyToMany<Self>,
    #[many_to_many(related_name = "friends")]
    following: ManyToMany<Self>,
}

fn main() {}
