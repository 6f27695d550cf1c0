//! Is an HTTP failure worth retrying, and how long did the server ask us to wait?
//!
//! Retrying blindly is how a client turns a rate limit into an outage: a `400 Bad Request`
//! fails the same way every time, while a `429 Too Many Requests` or a `503` usually
//! succeeds later, and the server often says exactly when. This module answers both
//! questions on the ecosystem's own types, [`http::StatusCode`] and [`http::HeaderMap`],
//! so it works with any client (reqwest, hyper, ureq via `http` conversions, ...):
//!
//! - [`classify`] sorts a response into [`Class::Success`], [`Class::Transient`] (worth
//!   retrying) or [`Class::Permanent`] (retrying cannot help). The transient statuses are
//!   the ones LLM providers document as retryable: 408, 409, 425, 429, 500, 502, 503, 504
//!   and 529 (overloaded). The server's `x-should-retry: true|false` header, sent by
//!   OpenAI- and Anthropic-style APIs, overrides the status.
//! - [`retry_after`] reads the delay the server asked for from `retry-after-ms`, or
//!   `Retry-After` as seconds or as an HTTP-date, capped at a bound you choose. It never
//!   panics and never overflows, whatever the header holds.
//! - [`rate_limit_report`] reads what an OpenAI-style server says is left of the API key
//!   (`x-ratelimit-remaining-tokens: 150000`, `x-ratelimit-reset-tokens: 6m0s`), for a
//!   [`RateLimiter`](crate::rate_limit::RateLimiter) to
//!   [`follow`](crate::rate_limit::RateLimiter::follow): another process spending the same
//!   key slows this one down.
//! - [`classify_io`] sorts transport failures (refused, reset, timed out, ...) for clients
//!   that surface [`std::io::Error`].
//! - With the `reqwest` feature, the submodule `http::reqwest` does the same for
//!   `reqwest::Error` and `reqwest::Response`, connect and timeout errors included.
//!
//! # Using it from `#[retry]`
//!
//! `#[retry(when = PATH, retry_after = PATH)]` takes `fn(&E) -> bool` and
//! `fn(&E) -> Option<Duration>` over *your* error type. Classify the response when it
//! arrives, keep the verdict and the server's delay in the error, and let the two
//! functions read them back. Parse `Retry-After` at that moment, not later: an HTTP-date
//! is relative to when the response was received.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use http::{HeaderMap, HeaderValue, StatusCode};
//! use resilience_core::http::{classify, retry_after, Class};
//!
//! #[derive(Debug)]
//! enum ApiError {
//!     /// The server answered with a failure status.
//!     Status { status: StatusCode, class: Class, retry_after: Option<Duration> },
//!     /// The reply arrived but was not what we expected.
//!     Malformed,
//! }
//!
//! impl ApiError {
//!     /// Build the error from the response's parts, right when it arrives.
//!     fn from_response(status: StatusCode, headers: &HeaderMap) -> Self {
//!         ApiError::Status {
//!             status,
//!             class: classify(status, headers),
//!             // Exactly what the server asked: one that asks for longer than we are
//!             // willing to wait makes the retry give up at once (see below).
//!             retry_after: retry_after(headers, SystemTime::now()),
//!         }
//!     }
//!
//!     /// For `#[retry(when = ApiError::is_transient)]`.
//!     fn is_transient(&self) -> bool {
//!         match self {
//!             ApiError::Status { class, .. } => class.is_transient(),
//!             ApiError::Malformed => true,
//!         }
//!     }
//!
//!     /// For `#[retry(retry_after = ApiError::server_delay)]`.
//!     fn server_delay(&self) -> Option<Duration> {
//!         match self {
//!             ApiError::Status { retry_after, .. } => *retry_after,
//!             ApiError::Malformed => None,
//!         }
//!     }
//! }
//!
//! // What the attribute sees for a 429 that asks for two seconds:
//! let mut headers = HeaderMap::new();
//! headers.insert("retry-after", HeaderValue::from_static("2"));
//! let err = ApiError::from_response(StatusCode::TOO_MANY_REQUESTS, &headers);
//! assert!(err.is_transient());
//! assert_eq!(err.server_delay(), Some(Duration::from_secs(2)));
//!
//! // A 401 is not retried, whatever it says about waiting.
//! let err = ApiError::from_response(StatusCode::UNAUTHORIZED, &HeaderMap::new());
//! assert!(!err.is_transient());
//! assert!(!ApiError::Malformed.server_delay().is_some());
//!
//! // On the function:
//! // #[retry(attempts = 4, max = 30s, when = ApiError::is_transient, retry_after = ApiError::server_delay)]
//! // async fn chat(prompt: &str) -> Result<String, ApiError> { ... }
//! ```
//!
//! # Never shorter than asked
//!
//! `#[retry]` treats a server delay longer than its `max` as "give up now and return the
//! error" rather than sleeping for an hour, and [`retry_after`] returns exactly what the
//! server asked (saturating at `Duration::MAX` for a hostile header such as
//! `Retry-After: 99999999999999999999`, never overflowing): a long `Retry-After` ends the
//! retries at once and the caller sees the 429, with the delay in the error. Retrying
//! earlier than the server allows only earns another 429. Against servers that answer
//! `Retry-After: 0` to everything while overloaded, [`retry_after_min`] raises a floor.

mod classify;
mod rate_limits;
mod retry_after;

#[cfg(feature = "reqwest")]
pub mod reqwest;

pub use classify::{Class, classify, classify_io, classify_status, should_retry};
pub use rate_limits::{parse_reset, rate_limit_report};
pub use retry_after::{retry_after, retry_after_min};
