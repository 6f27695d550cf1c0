use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

fn estimate(prompt: &str) -> u64 {
    prompt.len() as u64
}

#[rate_limit(requests = 500, cost = estimate)]
async fn call(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

fn main() {
    let _ = call("hi");
}
