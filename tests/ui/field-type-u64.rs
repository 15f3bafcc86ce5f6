// A `u64` column: SQLite's integers are signed 64-bit, so the message says
// to use `i64` rather than listing what is a column.
use m2m::Model;

#[derive(Model)]
struct Download {
    id: i64,
    bytes: u64,
}

fn main() {}
