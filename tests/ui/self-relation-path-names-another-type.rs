// The user wrote `ManyToMany<other::User>` inside `User`: a target named
// like the model itself is read as a relation to `Self`, but this path
// names another model.
use m2m::{ManyToMany, Model};

mod other {
    use m2m::Model;

    #[derive(Model)]
    pub struct User {
        pub id: i64,
    }
}

#[derive(Model)]
struct User {
    id: i64,
    #[many_to_many(related_name = "local_users")]
    accounts: ManyToMany<other::User>,
}

fn main() {}
