//! One module per attribute: its keys parsed into typed values, its checks, and the
//! layer it emits. Adding an attribute means a module here, a line in [`ALL`], and its
//! entry point in `lib.rs`.

pub(crate) mod bulkhead;
pub(crate) mod circuit;
pub(crate) mod fallback;
pub(crate) mod hedge;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod stream;
pub(crate) mod timeout;

use crate::attribute::Spec;

/// Every attribute, by the name it is written with.
pub(crate) static ALL: &[&Spec] = &[
    &retry::SPEC,
    &circuit::SPEC,
    &timeout::SPEC,
    &fallback::SPEC,
    &hedge::SPEC,
    &rate_limit::SPEC,
    &bulkhead::SPEC,
    &stream::SPEC,
];

/// The attribute called `name`.
pub(crate) fn find(name: &str) -> Option<&'static Spec> {
    ALL.iter().copied().find(|spec| spec.name == name)
}
