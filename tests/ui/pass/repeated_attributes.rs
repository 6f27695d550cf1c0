//! The same attribute more than once: each is one more layer.
use std::time::Duration;

use resilience::{fallback, retry, timeout, TimedOut};

#[derive(Debug)]
struct ApiError;

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError
    }
}

// The standard HTTP pipeline: a total deadline above the retry, one per attempt below.
#[timeout(30s)]
#[retry(attempts = 4)]
#[timeout(10s)]
async fn complete(prompt: &str) -> Result<usize, ApiError> {
    tokio::time::sleep(Duration::from_millis(1)).await;
    Ok(prompt.len())
}

#[retry(attempts = 2)]
#[retry(attempts = 3, backoff = "fixed")]
async fn twice(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

async fn cache(_prompt: &str) -> Result<usize, ApiError> {
    Ok(0)
}

async fn smaller_model(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len() / 2)
}

#[fallback(agents = [cache])]
#[retry(attempts = 2)]
#[fallback(agents = [smaller_model])]
async fn nested(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

#[retry(attempts = 2)]
#[fallback(agents = [smaller_blocking])]
#[retry(attempts = 2)]
fn blocking(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

fn smaller_blocking(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len() / 2)
}

fn main() {
    let _ = (complete("a"), twice("b"), nested("c"), blocking("d"));
}
