//! `#[timeout]` with a literal, a call, a const, and `crate`.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::timeout;
use std::time::Duration;
use support::ApiError;

const DEADLINE: Duration = Duration::from_secs(30);

#[timeout(10s)]
async fn literal() -> Result<u32, ApiError> {
    Ok(1)
}

#[timeout(Duration::from_millis(250))]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

#[timeout(DEADLINE)]
async fn constant() -> Result<u32, ApiError> {
    Ok(1)
}

#[timeout(500us, crate = ::resilience)]
async fn with_crate() -> Result<u32, ApiError> {
    Ok(1)
}

struct Client {
    deadline: Duration,
}

impl Client {
    // The deadline is evaluated at each call, so it may read `self`.
    #[timeout(self.deadline)]
    async fn configured(&self) -> Result<u32, ApiError> {
        Ok(1)
    }
}

fn main() {
    let _ = literal();
    let _ = call();
    let _ = constant();
    let _ = with_crate();
    let client = Client {
        deadline: Duration::from_secs(1),
    };
    let _ = client.configured();
}
