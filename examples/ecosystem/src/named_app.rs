//! The app of the named-policies example: one annotated call whose settings come from
//! `resilience.toml` by name, and a scripted backend that fails a given number of times.

use std::sync::atomic::{AtomicU32, Ordering};

use resilience::{CircuitOpen, TimedOut, circuit, retry, timeout};

/// What the scripted backend fails with.
#[derive(Debug, PartialEq)]
pub enum ApiError {
    /// The server is overloaded (retried, counted by the breaker).
    Overloaded,
    /// The breaker is open.
    Open,
    /// The deadline passed.
    TimedOut,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::TimedOut
    }
}

/// The policy file shipped beside this package.
pub const POLICIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/resilience.toml");

/// A backend that fails its first `failures` requests, then answers.
#[derive(Debug, Default)]
pub struct Backend {
    pub failures: u32,
    pub requests: AtomicU32,
}

/// Completes a prompt: the literals here serve until a file names `llm`.
#[circuit(policy = "llm", threshold = 3)]
#[retry(policy = "llm", attempts = 2, base = 100ms, jitter = "none")]
#[timeout(10s, policy = "llm")]
pub async fn complete(backend: &Backend, prompt: &str) -> Result<String, ApiError> {
    let n = backend.requests.fetch_add(1, Ordering::SeqCst);
    if n < backend.failures {
        Err(ApiError::Overloaded)
    } else {
        Ok(format!("echo: {prompt}"))
    }
}
