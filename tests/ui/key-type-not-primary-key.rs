// The user used a floating-point field as the primary key.
use m2m::Model;

#[derive(Model)]
struct Reading {
    id: f64,
    value: f64,
}

fn main() {}
