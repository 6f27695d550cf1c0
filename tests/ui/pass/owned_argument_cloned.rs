//! The documented fix for a retried body that consumes an owned argument: clone it at
//! the top of the body, so each attempt moves its own copy.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::retry;
use support::ApiError;

fn send_owned(prompt: String) -> Result<usize, ApiError> {
    Ok(prompt.len())
}

#[retry(attempts = 3)]
async fn send(prompt: String) -> Result<usize, ApiError> {
    let prompt = prompt.clone();
    send_owned(prompt)
}

#[retry(attempts = 3)]
fn send_blocking(prompt: String) -> Result<usize, ApiError> {
    let prompt = prompt.clone();
    send_owned(prompt)
}

fn main() {
    let _ = send(String::new());
    let _: fn(String) -> Result<usize, ApiError> = send_blocking;
}
