//! A rate limiter as a [`Protection`]: what the registry lists for status pages.

use super::RateLimiter;
use crate::registry::{Protection, Status, Value};

impl Protection for RateLimiter {
    fn kind(&self) -> &'static str {
        "rate_limit"
    }

    fn name(&self) -> &str {
        RateLimiter::name(self)
    }

    /// `requests_left` and `tokens_left` (each only for a limit the limiter keeps), then
    /// `waiting` (calls queued now), `waited` and `rejected` (since it was created).
    ///
    /// ```
    /// use resilience_core::{rate_limit::RateLimiter, registry::{Protection, Value}};
    ///
    /// let limiter = RateLimiter::builder().tokens(1_000).build()?;
    /// limiter.try_acquire(400)?;
    /// let status = limiter.status();
    /// assert_eq!(status.get("tokens_left"), Some(&Value::Count(600)));
    /// assert_eq!(status.get("requests_left"), None);
    /// assert_eq!(status.get("waiting"), Some(&Value::Count(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn status(&self) -> Status {
        let left = self.left();
        let stats = self.stats();
        let mut status = Status::new();
        if let Some(requests) = left.requests {
            status = status.with("requests_left", Value::Count(requests));
        }
        if let Some(tokens) = left.tokens {
            status = status.with("tokens_left", Value::Count(tokens));
        }
        status
            .with("waiting", Value::Count(self.waiting() as u64))
            .with("waited", Value::Count(stats.waited))
            .with("rejected", Value::Count(stats.rejected))
    }
}
