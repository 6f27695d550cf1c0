//! Compile-fail and compile-pass tests of the attributes (trybuild).
//!
//! `tests/ui/<attribute>/<mistake>.rs` holds one mistake each, with the exact compiler
//! output in the `.stderr` beside it; `tests/ui/pass/` holds what must compile.
//! After a deliberate change of message, rewrite the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p resilience-ui` and read the diff.
//!
//! A package of its own (`tests/ui/Cargo.toml`), so that trybuild is not a
//! dev-dependency of `resilience`: `cargo run --example agents` builds only what the
//! tour needs.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("retry/*.rs");
    t.compile_fail("circuit/*.rs");
    t.compile_fail("timeout/*.rs");
    t.compile_fail("fallback/*.rs");
    t.compile_fail("hedge/*.rs");
    t.compile_fail("rate_limit/*.rs");
    t.compile_fail("bulkhead/*.rs");
    t.compile_fail("stream/*.rs");
    t.pass("pass/*.rs");
}
