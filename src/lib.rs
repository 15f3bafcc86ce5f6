//! Shared fixtures for the workspace's examples, integration tests and
//! benchmarks. Not published; the library is `m2m`.

// The README's quick start is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
