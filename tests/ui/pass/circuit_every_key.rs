//! Every key of `#[circuit]`.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::circuit;
use support::{ApiError, is_transient};

#[circuit]
async fn defaults() -> Result<u32, ApiError> {
    Ok(1)
}

#[circuit(
    threshold = 5,
    recovery = 30s,
    success_threshold = 2,
    probes = 1,
    on = ApiError::Network | ApiError::Http(500..=599),
    name = "openai",
    crate = ::resilience,
)]
async fn everything(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

#[circuit(threshold = 1, recovery = 1.5s, when = is_transient)]
async fn predicate() -> Result<(), ApiError> {
    Err(ApiError::Network)
}

fn main() {
    let _ = defaults();
    let _ = everything("hi");
    let _ = predicate();
}
