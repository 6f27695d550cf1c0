use resilience::{ConfigError, RateLimited, RateLimiter, rate_limit};

#[derive(Debug)]
struct ApiError;

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError
    }
}

static OPENAI: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    RateLimiter::builder().name("openai").requests(500).settings(),
));

// A named policy makes its limiter from the file; an existing limiter cannot come with it.
#[rate_limit(policy = "llm", limiter = &OPENAI)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
