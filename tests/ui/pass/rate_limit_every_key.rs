//! Every key of `#[rate_limit]` and `#[bulkhead]`, on async and blocking functions and
//! methods.
#![deny(warnings)]

use resilience::{Bulkhead, BulkheadFull, ConfigError, RateLimited, RateLimiter, bulkhead, rate_limit};

#[derive(Debug)]
pub enum ApiError {
    Limited(RateLimited),
    Full(BulkheadFull),
}

impl From<RateLimited> for ApiError {
    fn from(e: RateLimited) -> Self {
        ApiError::Limited(e)
    }
}

impl From<BulkheadFull> for ApiError {
    fn from(e: BulkheadFull) -> Self {
        ApiError::Full(e)
    }
}

pub struct Reply {
    pub tokens: u64,
}

fn estimate(prompt: &str, max_tokens: &u32, history: &Vec<String>) -> u64 {
    (prompt.len() + history.len()) as u64 / 4 + u64::from(*max_tokens)
}

fn used(result: &Result<Reply, ApiError>) -> Option<u64> {
    result.as_ref().ok().map(|reply| reply.tokens)
}

#[rate_limit(requests = 1)]
async fn defaults() -> Result<u32, ApiError> {
    Ok(1)
}

#[rate_limit(
    requests = 500,
    tokens = 200_000,
    per = 1m,
    burst = 50,
    cost = estimate,
    usage = used,
    max_wait = 30s,
    name = "openai",
    crate = ::resilience,
)]
async fn everything(prompt: &str, max_tokens: u32, history: Vec<String>) -> Result<Reply, ApiError> {
    drop(history); // consumed: the stack calls the body once
    Ok(Reply { tokens: u64::from(max_tokens) + prompt.len() as u64 })
}

#[rate_limit(tokens = 10_000, usage = used, per = 1.5s)]
fn blocking_usage_only() -> Result<Reply, ApiError> {
    Ok(Reply { tokens: 3 })
}

static POOL: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(Bulkhead::builder().max(4).settings()));
static LIMITER: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    RateLimiter::builder().requests(10).settings(),
));

pub struct Client {
    limiter: RateLimiter,
}

impl Client {
    fn cost(&self, text: &str) -> u64 {
        let _ = &self.limiter;
        text.len() as u64
    }

    #[bulkhead(bulkhead = &POOL)]
    #[rate_limit(limiter = &self.limiter)]
    pub async fn own(&self) -> Result<u32, ApiError> {
        Ok(1)
    }

    #[rate_limit(limiter = &LIMITER, cost = Self::cost)]
    pub async fn shared(&self, text: &mut String) -> Result<usize, ApiError> {
        text.push('!');
        Ok(text.len())
    }
}

#[bulkhead]
async fn bulkhead_defaults() -> Result<u32, ApiError> {
    Ok(1)
}

#[bulkhead(max = 8, queue = 0, name = "embeddings", crate = ::resilience)]
async fn bulkhead_keys() -> Result<u32, ApiError> {
    Ok(1)
}

#[bulkhead(max = 2, queue = 10, max_wait = 250ms)]
fn bulkhead_blocking() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = defaults();
    let _ = everything("hi", 100, Vec::new());
    let _ = blocking_usage_only();
    let client = Client {
        limiter: RateLimiter::builder().requests(1).build().unwrap(),
    };
    let _ = client.own();
    let mut text = String::new();
    let _ = client.shared(&mut text);
    let _ = bulkhead_defaults();
    let _ = bulkhead_keys();
    let _ = bulkhead_blocking();
}
