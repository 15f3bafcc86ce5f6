// The user marked the primary key `skip`, but the key is always stored.
use m2m::Model;

#[derive(Model)]
struct Tag {
    #[model(primary_key, skip)]
    code: String,
}

fn main() {}
