//! What can go wrong building or reaching the store, with the password kept out.

use core::fmt;

/// A store that could not be built, or an operation on it that failed. Its text never
/// holds the URL's password: messages from the Redis client are cleaned of it before
/// they are kept.
///
/// ```
/// use resilience_redis::RedisStore;
///
/// let err = RedisStore::builder("redis://app:hunter2@[::1:6379").build().unwrap_err();
/// assert!(!err.to_string().contains("hunter2"));
/// assert!(!format!("{err:?}").contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The URL is not a `redis://` or `rediss://` URL the client accepts.
    #[error("invalid Redis URL {url}: {reason}")]
    Url {
        /// The URL with its password replaced by `***`.
        url: String,
        /// Why, without the password.
        reason: String,
    },
    /// A setting is out of range.
    #[error("invalid setting `{setting}`: {reason}")]
    Setting {
        /// The builder method.
        setting: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The store's background thread could not start.
    #[error("the store's worker thread did not start: {0}")]
    Worker(String),
    /// `RESILIENCE_REDIS_URL` is not set (see [`install_from_env`](crate::install_from_env)).
    #[error("RESILIENCE_REDIS_URL is not set")]
    NoUrl,
    /// A store is installed already in this process.
    #[error("a shared rate-limit store is installed already")]
    AlreadyInstalled,
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Display is already clean; Debug says the same so `{:?}` cannot leak either.
        write!(f, "StoreError({self})")
    }
}

/// `url` with the password of its user info replaced by `***`: `redis://app:s3cret@h`
/// becomes `redis://app:***@h`. A URL without user info is returned as it is.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "<not a URL>".to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // The last '@' of the authority ends the user info (a password may hold '@').
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let user_info = &rest[..at];
    let user = match user_info.find(':') {
        Some(colon) => &user_info[..colon],
        None => user_info,
    };
    let password = if user_info.contains(':') { ":***" } else { "" };
    format!("{}://{user}{password}{}", &url[..scheme_end], &rest[at..])
}

/// `message` with every occurrence of `secret` (and its percent-decoded form) replaced.
pub(crate) fn scrub(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => message.replace(secret, "***"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("redis://app:s3cret@localhost:6379/0"),
            "redis://app:***@localhost:6379/0"
        );
        assert_eq!(redact("rediss://:s3cret@h"), "rediss://:***@h");
        assert_eq!(redact("redis://a:p@ss@h/1"), "redis://a:***@h/1");
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
        assert_eq!(redact("redis://user@h"), "redis://user@h");
        assert_eq!(redact("s3cret"), "<not a URL>");
    }

    #[test]
    fn secrets_are_scrubbed_from_messages() {
        assert_eq!(
            scrub("auth s3cret failed", Some("s3cret")),
            "auth *** failed"
        );
        assert_eq!(scrub("x", Some("")), "x");
        assert_eq!(scrub("x", None), "x");
    }
}
