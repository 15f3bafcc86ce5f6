// The user declared a list field, `tags: Vec<String>`: a column holds one
// value, and `Vec<String>` is not one.
use m2m::Model;

#[derive(Model)]
struct Article {
    id: i64,
    title: String,
    tags: Vec<String>,
}

fn main() {}
