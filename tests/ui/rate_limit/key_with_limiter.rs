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

#[rate_limit(limiter = &OPENAI, key = model)]
async fn call(model: &str) -> Result<u32, ApiError> {
    Ok(model.len() as u32)
}

fn main() {
    let _ = call("gpt-4o");
}
