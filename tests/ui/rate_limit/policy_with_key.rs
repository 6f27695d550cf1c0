use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

// A named policy makes one limiter per function; a limiter per key cannot come with it.
#[rate_limit(policy = "llm", requests = 60, key = model)]
async fn call(model: &str) -> Result<usize, ApiError> {
    Ok(model.len())
}

fn main() {
    let _ = call("gpt");
}
