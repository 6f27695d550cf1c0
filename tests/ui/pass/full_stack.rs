//! The four attributes on one function, as in the design's example, and with paths.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, fallback, retry, timeout};
use support::ApiError;

async fn gpt35(prompt: &str) -> Result<String, ApiError> {
    Ok(format!("gpt35: {prompt}"))
}

async fn local_llm(prompt: &str) -> Result<String, ApiError> {
    Ok(format!("local: {prompt}"))
}

#[fallback(agents = [gpt35, local_llm])]
#[circuit(threshold = 3, recovery = 30s, success_threshold = 2)]
#[retry(attempts = 4, backoff = "exp", max = 10s, on = ApiError::Network | ApiError::RateLimited { .. })]
#[timeout(10s)]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    Err(ApiError::Http(prompt.len() as u16))
}

// Qualified attribute paths, in the other nesting order.
#[resilience::timeout(30s)]
#[resilience::retry(attempts = 2)]
#[resilience::circuit]
async fn qualified(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    assert_send(gpt4("hi"));
    assert_send(qualified("hi"));
}
