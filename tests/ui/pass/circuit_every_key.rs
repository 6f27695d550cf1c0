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

const WINDOW: std::time::Duration = std::time::Duration::from_secs(30);

fn server_delay(_: &ApiError) -> Option<std::time::Duration> {
    None
}

#[circuit(
    threshold = 5,
    failure_rate = 0.5,
    min_calls = 20,
    window = 100,
    slow_call = 20s,
    slow_rate = 0.8,
    recovery = 30s,
    recovery_max = 5m,
    retry_after = server_delay,
    key = model,
    max_keys = 64,
    name = "llm",
)]
async fn rates(model: &str) -> Result<usize, ApiError> {
    Ok(model.len())
}

#[circuit(failure_rate = 1, window = WINDOW, key = model.len())]
async fn by_time(model: String) -> Result<usize, ApiError> {
    Ok(model.len())
}

struct Client;

impl Client {
    /// One breaker per `Self` type, and per key.
    #[circuit(key = region, threshold = 2)]
    fn call(&self, region: &str) -> Result<(), ApiError> {
        let _ = region;
        Ok(())
    }
}

fn main() {
    let _ = defaults();
    let _ = everything("hi");
    let _ = predicate();
    let _ = rates("gpt-4");
    let _ = by_time("gpt-4".to_owned());
    let _ = Client.call("eu");
}
