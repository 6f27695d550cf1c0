//! Compile-fail and compile-pass tests of the attributes (trybuild).
//!
//! `tests/ui/<attribute>/<mistake>.rs` holds one mistake each, with the exact compiler
//! output in the `.stderr` beside it; `tests/ui/pass/` holds what must compile.
//! After a deliberate change of message, rewrite the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test ui` and read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/retry/*.rs");
    t.compile_fail("tests/ui/circuit/*.rs");
    t.compile_fail("tests/ui/timeout/*.rs");
    t.compile_fail("tests/ui/fallback/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
