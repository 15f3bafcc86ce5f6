// The user derived `Model` on a generic struct.
use m2m::Model;

#[derive(Model)]
struct Tag<T> {
    id: i64,
    value: T,
}

fn main() {}
