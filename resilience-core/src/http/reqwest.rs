//! [`classify`] and [`retry_after`](super::retry_after) for
//! [`reqwest`] (feature `reqwest`).
//!
//! A reqwest call fails in two places: `send().await` returns a [`reqwest::Error`] when no
//! usable response arrived (refused, reset, timed out, ...), and a response arrives whose
//! status says it failed. [`classify_error`] handles the first, [`classify_response`] the
//! second, and [`retry_after`] reads the server's delay off the response.
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::http::{reqwest::{classify_error, classify_response, retry_after}, Class};
//!
//! #[derive(Debug)]
//! enum ApiError {
//!     Transport(reqwest::Error),
//!     Status { class: Class, retry_after: Option<Duration> },
//! }
//!
//! impl ApiError {
//!     fn is_transient(&self) -> bool {
//!         match self {
//!             ApiError::Transport(e) => classify_error(e).is_transient(),
//!             ApiError::Status { class, .. } => class.is_transient(),
//!         }
//!     }
//! }
//!
//! /// What the body of a `#[retry(when = ApiError::is_transient)]` function does with
//! /// `client.post(url).send().await`.
//! fn check(sent: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, ApiError> {
//!     let response = sent.map_err(ApiError::Transport)?;
//!     let class = classify_response(&response);
//!     if class.is_success() {
//!         Ok(response)
//!     } else {
//!         let retry_after = retry_after(&response);
//!         Err(ApiError::Status { class, retry_after })
//!     }
//! }
//!
//! let overloaded = http::Response::builder().status(529).header("retry-after", "3").body("").unwrap();
//! let err = check(Ok(reqwest::Response::from(overloaded))).unwrap_err();
//! assert!(err.is_transient());
//! assert!(matches!(err, ApiError::Status { retry_after: Some(d), .. } if d == Duration::from_secs(3)));
//! ```

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use super::{Class, classify, classify_io, classify_status};

/// Classifies an error from reqwest: a failed send, a failed body read, or an error made by
/// [`Response::error_for_status`](::reqwest::Response::error_for_status).
///
/// - Timeouts (connect, read or total) and connect failures: [`Class::Transient`].
/// - An error carrying a status (from `error_for_status`): [`classify_status`] of it (the
///   headers, and so `x-should-retry`, are gone by then; classify the response itself
///   with [`classify_response`] to keep them).
/// - A request or body error (the connection was reset or closed before the exchange
///   completed): [`Class::Transient`]. Note that the server may have acted on the request
///   before the connection died; LLM completions are safe to repeat, a payment is not.
/// - A decode error: [`Class::Transient`] if the body was cut off in transit (its cause is a
///   transport failure), else [`Class::Permanent`] (the whole body arrived and is not the
///   expected shape, e.g. malformed JSON; retry that yourself if your service does it
///   transiently).
/// - Builder, redirect and upgrade errors: [`Class::Permanent`]. Never [`Class::Success`].
///
/// ```
/// use resilience_core::http::{reqwest::classify_error, Class};
///
/// // A request that cannot even be built fails the same way every time.
/// let err = reqwest::Client::new().get("http://[::1").build().unwrap_err();
/// assert_eq!(classify_error(&err), Class::Permanent);
///
/// // `error_for_status` keeps the status, and the status decides.
/// let reply = http::Response::builder().status(503).body("").unwrap();
/// let err = reqwest::Response::from(reply).error_for_status().unwrap_err();
/// assert_eq!(classify_error(&err), Class::Transient);
/// ```
pub fn classify_error(error: &::reqwest::Error) -> Class {
    if error.is_timeout() || error.is_connect() {
        return Class::Transient;
    }
    if let Some(status) = error.status() {
        return classify_status(status);
    }
    if error.is_request() || error.is_body() {
        return Class::Transient;
    }
    if error.is_decode() && cut_off_in_transit(error) {
        return Class::Transient;
    }
    Class::Permanent
}

/// Whether a transport failure (an I/O error of a transient kind, or a hyper error other
/// than a parse error) is among the causes of `error`.
fn cut_off_in_transit(error: &::reqwest::Error) -> bool {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if classify_io(io).is_transient() {
                return true;
            }
        }
        if let Some(hyper) = cause.downcast_ref::<::hyper::Error>() {
            if hyper.is_incomplete_message()
                || hyper.is_closed()
                || hyper.is_canceled()
                || hyper.is_timeout()
            {
                return true;
            }
        }
        if let Some(inner) = cause.downcast_ref::<::reqwest::Error>() {
            if inner.is_body() || inner.is_timeout() {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

/// Classifies a response by its status and headers, `x-should-retry` included (see
/// [`classify`]).
///
/// ```
/// use resilience_core::http::{reqwest::classify_response, Class};
///
/// let reply = http::Response::builder().status(429).body("").unwrap();
/// assert_eq!(classify_response(&reqwest::Response::from(reply)), Class::Transient);
///
/// let reply = http::Response::builder().status(429).header("x-should-retry", "false").body("").unwrap();
/// assert_eq!(classify_response(&reqwest::Response::from(reply)), Class::Permanent);
/// ```
pub fn classify_response(response: &::reqwest::Response) -> Class {
    classify(response.status(), response.headers())
}

/// The delay the server asked for in this response, exactly, measured from
/// [`SystemTime::now`] (see [`super::retry_after`] for the forms, their precedence, and
/// why the delay is never shortened).
///
/// Call it when the response arrives, not later: an HTTP-date is relative to that moment.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::http::reqwest::retry_after;
///
/// let reply = http::Response::builder()
///     .status(429)
///     .header("retry-after-ms", "1500")
///     .header("retry-after", "2")
///     .body("")
///     .unwrap();
/// let reply = reqwest::Response::from(reply);
/// assert_eq!(retry_after(&reply), Some(Duration::from_millis(1500)));
/// ```
pub fn retry_after(response: &::reqwest::Response) -> Option<Duration> {
    super::retry_after(response.headers(), SystemTime::now())
}

/// [`retry_after`], raised to at least `min` (see [`super::retry_after_min`]).
///
/// ```
/// use std::time::Duration;
/// use resilience_core::http::reqwest::retry_after_min;
///
/// let reply = http::Response::builder().status(503).header("retry-after", "0").body("").unwrap();
/// let reply = reqwest::Response::from(reply);
/// assert_eq!(retry_after_min(&reply, Duration::from_secs(1)), Some(Duration::from_secs(1)));
/// ```
pub fn retry_after_min(response: &::reqwest::Response, min: Duration) -> Option<Duration> {
    super::retry_after_min(response.headers(), SystemTime::now(), min)
}
