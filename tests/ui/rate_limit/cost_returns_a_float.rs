use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

fn estimate(prompt: &str) -> f64 {
    prompt.len() as f64 / 4.0
}

#[rate_limit(tokens = 90_000, cost = estimate)]
async fn call(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

fn main() {
    let _ = call("hi");
}
