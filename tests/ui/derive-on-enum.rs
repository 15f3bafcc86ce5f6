// The user derived `Model` on an enum.
use m2m::Model;

#[derive(Model)]
enum Status {
    Draft,
    Published,
}

fn main() {}
