use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

#[rate_limit(requests = 500, tokens = 200_000)]
async fn call(prompt: &str) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

fn main() {
    let _ = call("hi");
}
