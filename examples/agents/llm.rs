//! A simulated LLM API, offline and reproducible: the seed notebook's
//! `llm_call_unreliable`, built on [`resilience::chaos`].
//!
//! A call fails at a given rate with one of three faults, drawn from a seeded sequence:
//!
//! - a **network timeout**: the server never answers and the HTTP client gives up after 30s;
//! - a **rate limit**: HTTP 429 with `Retry-After: 3s`;
//! - **malformed output**: a 200 whose body is not the JSON that was asked for (it really
//!   is parsed, and the parse really fails).
//!
//! Otherwise it answers after 0.8s. All waiting happens on tokio's clock, so with the clock
//! paused a 30s timeout costs no real time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience::chaos::{Chaos, ChaosBuilder, Fault};
use resilience::{CircuitOpen, RateLimited, TimedOut};
use serde::Deserialize;
use tokio::time::sleep;

/// Everything that can go wrong with one call: the API's failures, and the errors the
/// attributes add (`#[timeout]`, `#[circuit]` and `#[rate_limit]` need `From<TimedOut>`,
/// `From<CircuitOpen>` and `From<RateLimited>`).
///
/// The runtime logs errors with `Debug` (in its "retry scheduled" events), so the derived
/// `Debug` is kept short.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// No answer: the connection timed out.
    Network,
    /// HTTP 429 Too Many Requests; the server asks to wait `retry_after`.
    RateLimited { retry_after: Duration },
    /// HTTP 5xx.
    Server(u16),
    /// The answer is not the JSON that was asked for.
    Malformed,
    /// Our own deadline passed (`#[timeout]`): how long the call was allowed.
    Timeout(Duration),
    /// The circuit breaker refused the call without making it (`#[circuit]`).
    Open(CircuitOpen),
    /// The token budget refused the call without making it (`#[rate_limit]`).
    Limited(RateLimited),
}

impl ApiError {
    /// The delay a rate-limited server asked for: `#[retry(retry_after = ApiError::retry_after)]`.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Network => ApiError::Network,
            Fault::RateLimited { retry_after } => ApiError::RateLimited { retry_after },
            Fault::Server(status) => ApiError::Server(status),
            Fault::Malformed => ApiError::Malformed,
        }
    }
}

impl From<TimedOut> for ApiError {
    fn from(timed_out: TimedOut) -> Self {
        ApiError::Timeout(timed_out.after())
    }
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

impl From<RateLimited> for ApiError {
    fn from(limited: RateLimited) -> Self {
        ApiError::Limited(limited)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Network => write!(f, "network timeout: no answer after 30s"),
            ApiError::RateLimited { retry_after } => {
                write!(f, "rate limit: 429, Retry-After {}s", retry_after.as_secs())
            }
            ApiError::Server(status) => write!(f, "server error: {status}"),
            ApiError::Malformed => write!(f, "malformed output: not valid JSON"),
            ApiError::Timeout(after) => write!(f, "timeout after {after:?}"),
            ApiError::Open(_) => write!(f, "circuit open: request not sent"),
            ApiError::Limited(limited) => write!(f, "token budget: {limited}"),
        }
    }
}

/// The JSON the API answers with.
#[derive(Debug, Clone, Deserialize)]
pub struct Reply {
    pub content: String,
    pub tokens: u32,
}

/// How long a healthy call takes.
pub const LATENCY: Duration = Duration::from_millis(800);
/// How long the HTTP client waits for a server that never answers.
pub const NETWORK_TIMEOUT: Duration = Duration::from_secs(30);

/// The notebook's three faults, drawn with equal probability.
const FAULTS: &[Fault] = &[
    Fault::Network,
    Fault::RateLimited {
        retry_after: Duration::from_secs(3),
    },
    Fault::Malformed,
];

/// The simulated API: one instance per scenario, each with its own seeded sequence.
pub struct FlakyLlm {
    chaos: Chaos,
    requests: AtomicU32,
}

impl FlakyLlm {
    /// Fails `failure_rate` of the calls (0.0 to 1.0) with the notebook's faults.
    pub fn new(seed: u64, failure_rate: f64) -> Self {
        Self::with(
            Chaos::builder()
                .seed(seed)
                .failure_rate(failure_rate)
                .faults(FAULTS),
        )
    }

    /// A service that is down: every call gets `503 Service Unavailable`.
    pub fn outage() -> Self {
        Self::with(
            Chaos::builder()
                .failure_rate(1.0)
                .faults(&[Fault::Server(503)]),
        )
    }

    /// A service that always answers.
    pub fn healthy() -> Self {
        Self::with(Chaos::builder().failure_rate(0.0))
    }

    fn with(chaos: ChaosBuilder) -> Self {
        Self {
            chaos: chaos.build().expect("valid chaos settings"),
            requests: AtomicU32::new(0),
        }
    }

    /// How many requests were sent so far (the circuit breaker's rejections send none).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// One request to the API: the seed notebook's `llm_call_unreliable`.
    pub async fn complete(&self, prompt: &str) -> Result<Reply, ApiError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let fault = self.chaos.inject().await.err();
        if fault == Some(Fault::Network) {
            sleep(NETWORK_TIMEOUT).await;
            return Err(ApiError::Network);
        }
        sleep(LATENCY).await;
        let body = match fault {
            None => answer(prompt),
            Some(Fault::Malformed) => {
                r#"Sure! Here is the JSON you asked for: {"content": "An agent is"#.to_owned()
            }
            Some(other) => return Err(other.into()),
        };
        serde_json::from_str(&body).map_err(|_| ApiError::Malformed)
    }
}

/// What the healthy service says: the JSON body of a completion.
fn answer(prompt: &str) -> String {
    let content = match prompt {
        p if p.contains("agente") || p.contains("agent") => {
            "An AI agent is a program that uses a language model to decide which actions to take."
        }
        p if p.contains("machine learning") => {
            "Machine learning lets programs learn patterns from data instead of explicit rules."
        }
        p if p.contains("deep learning") => {
            "Deep learning is machine learning with many-layered neural networks."
        }
        _ => "OK.",
    };
    let tokens = prompt.split_whitespace().count() + content.split_whitespace().count() + 12;
    serde_json::json!({ "content": content, "tokens": tokens }).to_string()
}
