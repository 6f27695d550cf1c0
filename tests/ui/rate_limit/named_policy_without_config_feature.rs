use resilience::{RateLimited, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

// A named policy reads the configuration file: the `config` feature must be on.
#[rate_limit(policy = "llm", requests = 60)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
