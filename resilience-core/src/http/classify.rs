//! Sorting an HTTP outcome into success, transient failure and permanent failure.

use core::fmt;
use std::io;

use ::http::{HeaderMap, StatusCode};

/// What an HTTP outcome means for a retry.
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use resilience_core::http::{classify, Class};
///
/// let headers = HeaderMap::new();
/// assert_eq!(classify(StatusCode::OK, &headers), Class::Success);
/// assert_eq!(classify(StatusCode::TOO_MANY_REQUESTS, &headers), Class::Transient);
/// assert_eq!(classify(StatusCode::BAD_REQUEST, &headers), Class::Permanent);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// The call succeeded (2xx): nothing to retry.
    ///
    /// ```
    /// # use resilience_core::http::{classify_status, Class};
    /// assert_eq!(classify_status(http::StatusCode::CREATED), Class::Success);
    /// ```
    Success,
    /// The call failed in a way that often goes away: rate limits, overload, gateway
    /// errors, timeouts, dropped connections. Worth retrying.
    ///
    /// ```
    /// # use resilience_core::http::{classify_status, Class};
    /// assert_eq!(classify_status(http::StatusCode::SERVICE_UNAVAILABLE), Class::Transient);
    /// ```
    Transient,
    /// The call failed in a way that retrying the same request cannot fix: bad request,
    /// bad credentials, not found, unsupported.
    ///
    /// ```
    /// # use resilience_core::http::{classify_status, Class};
    /// assert_eq!(classify_status(http::StatusCode::UNAUTHORIZED), Class::Permanent);
    /// ```
    Permanent,
}

impl Class {
    /// `true` for [`Class::Success`].
    ///
    /// ```
    /// assert!(resilience_core::http::Class::Success.is_success());
    /// ```
    pub const fn is_success(self) -> bool {
        matches!(self, Class::Success)
    }

    /// `true` for [`Class::Transient`]: the answer a `#[retry(when = ...)]` function wants.
    ///
    /// ```
    /// use resilience_core::http::Class;
    /// assert!(Class::Transient.is_transient());
    /// assert!(!Class::Permanent.is_transient());
    /// ```
    pub const fn is_transient(self) -> bool {
        matches!(self, Class::Transient)
    }

    /// `true` for [`Class::Permanent`].
    ///
    /// ```
    /// assert!(resilience_core::http::Class::Permanent.is_permanent());
    /// ```
    pub const fn is_permanent(self) -> bool {
        matches!(self, Class::Permanent)
    }
}

/// Lowercase, for logs: `success`, `transient`, `permanent`.
///
/// ```
/// assert_eq!(resilience_core::http::Class::Transient.to_string(), "transient");
/// ```
impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Success => "success",
            Class::Transient => "transient",
            Class::Permanent => "permanent",
        })
    }
}

/// Classifies a status code alone, without the server's `x-should-retry` override.
///
/// - 2xx: [`Class::Success`].
/// - 408 Request Timeout, 409 Conflict, 425 Too Early, 429 Too Many Requests, and every
///   5xx but two: [`Class::Transient`]. That follows the OpenAI and Anthropic SDKs, which
///   retry every 5xx, and covers 529 (overloaded, Anthropic's) and Cloudflare's 520–524
///   (the origin's connection failed or timed out), routine in front of those APIs.
/// - Everything else: [`Class::Permanent`]. That is every other 4xx, the two 5xx that
///   describe a fixed property of the server (501 Not Implemented, 505 HTTP Version Not
///   Supported), and 1xx/3xx, which a client that follows redirects never hands back as
///   a final answer and which a retry would not change.
///
/// Use this when you have no headers, e.g. from `reqwest::Error::status()`; otherwise
/// prefer [`classify`].
///
/// ```
/// use http::StatusCode;
/// use resilience_core::http::{classify_status, Class};
///
/// assert_eq!(classify_status(StatusCode::BAD_GATEWAY), Class::Transient);
/// assert_eq!(classify_status(StatusCode::from_u16(529).unwrap()), Class::Transient);
/// assert_eq!(classify_status(StatusCode::from_u16(522).unwrap()), Class::Transient);
/// assert_eq!(classify_status(StatusCode::NOT_FOUND), Class::Permanent);
/// assert_eq!(classify_status(StatusCode::NOT_IMPLEMENTED), Class::Permanent);
/// ```
pub fn classify_status(status: StatusCode) -> Class {
    match status.as_u16() {
        200..=299 => Class::Success,
        408 | 409 | 425 | 429 => Class::Transient,
        501 | 505 => Class::Permanent,
        500..=599 => Class::Transient,
        _ => Class::Permanent,
    }
}

/// The server's own verdict from the `x-should-retry` header, if it gave a readable one.
///
/// `true` and `false` are accepted in any ASCII case, with surrounding whitespace; any
/// other value, a value that is not visible ASCII, or no header gives `None`. When the
/// header is repeated, the first occurrence decides.
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use resilience_core::http::should_retry;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(should_retry(&headers), None);
/// headers.insert("x-should-retry", HeaderValue::from_static("false"));
/// assert_eq!(should_retry(&headers), Some(false));
/// headers.insert("x-should-retry", HeaderValue::from_static("maybe"));
/// assert_eq!(should_retry(&headers), None);
/// ```
pub fn should_retry(headers: &HeaderMap) -> Option<bool> {
    let value = headers.get("x-should-retry")?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Classifies a response from its status and headers.
///
/// A success status is always [`Class::Success`]. For a failure status, the server's
/// `x-should-retry` header wins when it says `true` ([`Class::Transient`]) or `false`
/// ([`Class::Permanent`]); without a readable one, [`classify_status`] decides.
///
/// ```
/// use http::{HeaderMap, HeaderValue, StatusCode};
/// use resilience_core::http::{classify, Class};
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(classify(StatusCode::CONFLICT, &headers), Class::Transient);
///
/// // The server knows better: this 409 will not resolve itself ...
/// headers.insert("x-should-retry", HeaderValue::from_static("false"));
/// assert_eq!(classify(StatusCode::CONFLICT, &headers), Class::Permanent);
///
/// // ... and this 400 will (e.g. a lock held by another request).
/// headers.insert("x-should-retry", HeaderValue::from_static("true"));
/// assert_eq!(classify(StatusCode::BAD_REQUEST, &headers), Class::Transient);
///
/// // The header never turns a success into a failure.
/// assert_eq!(classify(StatusCode::OK, &headers), Class::Success);
/// ```
pub fn classify(status: StatusCode, headers: &HeaderMap) -> Class {
    match classify_status(status) {
        Class::Success => Class::Success,
        by_status => match should_retry(headers) {
            Some(true) => Class::Transient,
            Some(false) => Class::Permanent,
            None => by_status,
        },
    }
}

/// Classifies a transport failure by its [`io::ErrorKind`].
///
/// Transient: the connection was refused, reset, aborted or never established, the
/// peer closed it early (`UnexpectedEof`, `BrokenPipe`), the operation timed out or was
/// interrupted, or the network or host was unreachable. Everything else (invalid input,
/// permission denied, address in use, ...) is [`Class::Permanent`]. Never
/// [`Class::Success`].
///
/// ```
/// use std::io;
/// use resilience_core::http::{classify_io, Class};
///
/// let reset = io::Error::from(io::ErrorKind::ConnectionReset);
/// assert_eq!(classify_io(&reset), Class::Transient);
/// let denied = io::Error::from(io::ErrorKind::PermissionDenied);
/// assert_eq!(classify_io(&denied), Class::Permanent);
/// ```
pub fn classify_io(error: &io::Error) -> Class {
    use io::ErrorKind::*;
    match error.kind() {
        ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected | BrokenPipe
        | UnexpectedEof | TimedOut | Interrupted | HostUnreachable | NetworkUnreachable
        | NetworkDown => Class::Transient,
        _ => Class::Permanent,
    }
}
