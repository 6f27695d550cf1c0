use resilience::retry;
use resilience::retry::RetryPolicy;

#[derive(Debug)]
struct ApiError;

static POLICY: RetryPolicy = RetryPolicy::DEFAULT;

#[retry(policy = &POLICY, attempts = 5)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
