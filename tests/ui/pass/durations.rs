//! Every duration unit, fractions, and `Duration` expressions.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, retry, timeout};
use std::time::Duration;
use support::ApiError;

const BASE: Duration = Duration::from_millis(50);

#[retry(base = 500us, max = 1.5s, max_elapsed = 1h)]
async fn units() -> Result<(), ApiError> {
    Ok(())
}

#[retry(base = BASE, max = Duration::from_secs(2), max_elapsed = Duration::from_secs(60))]
async fn expressions() -> Result<(), ApiError> {
    Ok(())
}

#[circuit(recovery = 2m)]
#[timeout(0.25s)]
async fn minutes() -> Result<(), ApiError> {
    Ok(())
}

#[circuit(recovery = Duration::from_millis(250))]
#[timeout(1e3ms)]
async fn exponent() -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    let _ = units();
    let _ = expressions();
    let _ = minutes();
    let _ = exponent();
}
