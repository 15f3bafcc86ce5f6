// The user keyed a model by `u64`, which SQLite's signed 64-bit integers
// cannot hold in full.
use m2m::Model;

#[derive(Model)]
struct Reading {
    id: u64,
    value: f64,
}

fn main() {}
