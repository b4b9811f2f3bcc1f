//! Compile-time behaviour of `#[porticus::action]` and `#[porticus::event]`: what compiles, and
//! the error (and the token it points at) for every way of getting a handler wrong.
//!
//! The cases live in `tests/ui/{pass,fail}/` (paths here are relative to this crate's manifest).
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p porticus-tests --test ui`
//! and review every changed `.stderr`: the toolchain is pinned by `rust-toolchain.toml`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
