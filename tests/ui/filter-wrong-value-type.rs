// The user compared a `String` column with an integer.
use m2m::Model;

#[derive(Model)]
struct Tag {
    id: i64,
    name: String,
}

fn main() {
    let _ = Tag::query().filter(|c| c.name.eq(5));
}
