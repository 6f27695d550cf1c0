//! [`Fault`]: the failures [`Chaos`](super::Chaos) injects.

use core::time::Duration;

/// A simulated failure of an LLM API call, with the messages of the seed notebook's
/// `llm_call_unreliable`.
///
/// Map it into your own error type (`impl From<Fault> for ApiError`) so that the code under
/// test handles injected faults exactly like real ones.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::chaos::Fault;
///
/// assert_eq!(Fault::Network.to_string(), "Connection timeout after 30s");
/// let limited = Fault::RateLimited { retry_after: Duration::from_secs(2) };
/// assert_eq!(limited.to_string(), "Rate limit exceeded: 429");
/// assert_eq!(Fault::Server(503).to_string(), "Server error: 503");
/// assert_eq!(Fault::Malformed.to_string(), "Response is not valid JSON");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Fault {
    /// The service did not answer in time.
    #[error("Connection timeout after 30s")]
    Network,
    /// HTTP 429: too many requests; the server asks to wait `retry_after`.
    #[error("Rate limit exceeded: 429")]
    RateLimited {
        /// What the server's `Retry-After` header would say.
        retry_after: Duration,
    },
    /// An HTTP 5xx (or any other) status code.
    #[error("Server error: {0}")]
    Server(u16),
    /// The call succeeded but the body is not the JSON that was asked for.
    #[error("Response is not valid JSON")]
    Malformed,
}

impl Fault {
    /// The faults of the seed notebook, drawn with equal probability by default: a network
    /// timeout, a 429 asking for 1s, and malformed JSON.
    ///
    /// ```
    /// use resilience_core::chaos::{Chaos, Fault};
    ///
    /// let chaos = Chaos::builder().build().unwrap();
    /// assert_eq!(chaos.faults(), Fault::DEFAULTS);
    /// assert_eq!(Fault::DEFAULTS.len(), 3);
    /// ```
    pub const DEFAULTS: &'static [Fault] = &[
        Fault::Network,
        Fault::RateLimited {
            retry_after: Duration::from_secs(1),
        },
        Fault::Malformed,
    ];

    /// The delay a rate-limited server asked for: `Some` only for [`Fault::RateLimited`].
    ///
    /// Shaped for `#[retry(retry_after = ...)]` once mapped through your error type.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::chaos::Fault;
    ///
    /// let limited = Fault::RateLimited { retry_after: Duration::from_secs(2) };
    /// assert_eq!(limited.retry_after(), Some(Duration::from_secs(2)));
    /// assert_eq!(Fault::Network.retry_after(), None);
    /// ```
    pub const fn retry_after(&self) -> Option<Duration> {
        match self {
            Fault::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}
