// The user derived `Model` on a tuple struct, whose fields have no names to use as columns.
use m2m::Model;

#[derive(Model)]
struct Tag(i64, String);

fn main() {}
