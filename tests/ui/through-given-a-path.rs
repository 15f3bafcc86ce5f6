// The user wrote `through = Membership`, a path where `through` takes the
// junction table's name as a string (the model would be `through_model`).
use m2m::{ManyToMany, Model};

#[derive(Model)]
struct Club {
    id: i64,
}

#[derive(Model, Default)]
struct Membership {
    id: i64,
    person_id: i64,
    club_id: i64,
}

#[derive(Model)]
struct Person {
    id: i64,
    #[many_to_many(through = Membership, related_name = "members")]
    clubs: ManyToMany<Club>,
}

fn main() {
    let _ = Membership::default();
}
