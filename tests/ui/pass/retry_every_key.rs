//! Every key of `#[retry]`.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::retry;
use support::{ApiError, is_transient, retry_after};

#[retry]
async fn defaults() -> Result<u32, ApiError> {
    Ok(1)
}

#[retry(
    attempts = 4,
    backoff = "exp",
    base = 250ms,
    factor = 1.5,
    max = 10s,
    jitter = "decorrelated",
    max_elapsed = 2m,
    on = ApiError::Network | ApiError::RateLimited { .. } | ApiError::Http(500..=599),
    retry_after = retry_after,
    crate = ::resilience,
)]
async fn everything(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

#[retry(attempts = 2, backoff = "fixed", base = 100ms, jitter = "none", when = is_transient)]
async fn fixed() -> Result<(), ApiError> {
    Err(ApiError::Network)
}

#[retry(backoff = "linear", base = 1s, factor = 2, jitter = "equal", when = |e: &ApiError| matches!(e, ApiError::Http(503)))]
async fn linear() -> Result<(), ApiError> {
    Err(ApiError::Http(503))
}

#[retry(attempts = 1, jitter = "full", crate = "resilience")]
async fn once() -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    let _ = defaults();
    let _ = everything("hi");
    let _ = fixed();
    let _ = linear();
    let _ = once();
}
