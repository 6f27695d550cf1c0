//! `#[retry]`, `#[circuit]` and `#[fallback]` on blocking functions.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, fallback, retry};
use support::ApiError;

fn from_disk(key: &str) -> Result<String, ApiError> {
    Ok(key.to_owned())
}

#[retry(attempts = 3, base = 10ms, max = 100ms)]
fn read(key: &str) -> Result<String, ApiError> {
    if key.is_empty() {
        return Err(ApiError::Network);
    }
    let n: u32 = key.parse().map_err(|_| ApiError::Http(400))?;
    Ok(n.to_string())
}

#[fallback(agents = [from_disk])]
#[circuit(threshold = 2)]
#[retry(attempts = 2, base = 1ms, max = 1ms)]
fn stacked(key: &str) -> Result<String, ApiError> {
    Err(ApiError::Http(key.len() as u16))
}

struct Counter {
    n: u32,
}

impl Counter {
    #[retry(attempts = 2)]
    fn bump(&mut self) -> Result<u32, ApiError> {
        self.n += 1;
        Ok(self.n)
    }

    #[circuit]
    fn consume(self, extra: String) -> Result<String, ApiError> {
        // No retry or fallback: the body runs at most once and may move its arguments.
        Ok(format!("{}{extra}", self.n))
    }
}

fn main() {
    let _: fn(&str) -> Result<String, ApiError> = read;
    let _: fn(&str) -> Result<String, ApiError> = stacked;
    let _: fn(&mut Counter) -> Result<u32, ApiError> = Counter::bump;
    let _: fn(Counter, String) -> Result<String, ApiError> = Counter::consume;
}
