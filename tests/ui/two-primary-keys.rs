// The user marked two fields `#[model(primary_key)]`.
use m2m::Model;

#[derive(Model)]
struct Tag {
    #[model(primary_key)]
    code: String,
    #[model(primary_key)]
    slug: String,
}

fn main() {}
