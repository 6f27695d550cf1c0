use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

#[rate_limit(requests = 60, max_keys = 16)]
async fn call(model: &str) -> Result<u32, ApiError> {
    Ok(model.len() as u32)
}

fn main() {
    let _ = call("gpt-4o");
}
