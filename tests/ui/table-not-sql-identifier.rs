// The user wrote a schema-qualified table name, which is not a plain SQL identifier.
use m2m::Model;

#[derive(Model)]
#[model(table = "main.tags")]
struct Tag {
    id: i64,
}

fn main() {}
