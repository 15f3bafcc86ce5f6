//! Compile-fail tests: each `tests/ui/*.rs` makes one mistake, and its
//! `.stderr` is what the user reads. Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui`, then read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
