// The user misspelled `table` as `tabel` in `#[model(...)]`.
use m2m::Model;

#[derive(Model)]
#[model(tabel = "tags")]
struct Tag {
    id: i64,
}

fn main() {}
