// The user renamed a field's column to the name another field already has.
use m2m::Model;

#[derive(Model)]
struct Article {
    id: i64,
    title: String,
    #[model(column = "title")]
    headline: String,
}

fn main() {}
