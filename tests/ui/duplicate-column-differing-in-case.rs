// The user renamed a field's column to `Name`, beside a field `name`:
// SQLite folds the case of names, so both would be one column.
use m2m::Model;

#[derive(Model)]
struct Author {
    id: i64,
    name: String,
    #[model(column = "Name")]
    display_name: String,
}

fn main() {}
