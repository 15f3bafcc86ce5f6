// The user made the primary key an `Option`.
use m2m::Model;

#[derive(Model)]
struct Tag {
    id: Option<i64>,
    name: String,
}

fn main() {}
