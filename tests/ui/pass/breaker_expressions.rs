//! `breaker = EXPR`: a shared breaker in a static, and one per instance.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{CircuitBreaker, circuit, retry};
use std::sync::LazyLock;
use support::ApiError;

static SHARED: LazyLock<CircuitBreaker> = LazyLock::new(|| {
    CircuitBreaker::builder()
        .name("shared")
        .threshold(5)
        .build()
        .expect("valid breaker")
});

#[circuit(breaker = &*SHARED)]
async fn first() -> Result<u32, ApiError> {
    Ok(1)
}

#[circuit(breaker = &SHARED, on = ApiError::Network)]
#[retry(attempts = 2)]
async fn second() -> Result<u32, ApiError> {
    Ok(2)
}

struct Client {
    breaker: CircuitBreaker,
}

impl Client {
    #[circuit(breaker = &self.breaker)]
    async fn call(&self, prompt: &str) -> Result<usize, ApiError> {
        Ok(prompt.len())
    }
}

fn main() {
    let _ = first();
    let _ = second();
    let client = Client {
        breaker: CircuitBreaker::builder()
            .name("client")
            .build()
            .expect("valid breaker"),
    };
    let _ = client.call("hi");
}
