//! The error a call gets instead of running when a rate limiter refuses it.

use core::fmt;
use std::time::Duration;

/// Which of a limiter's limits refused a call.
///
/// ```
/// use resilience_core::rate_limit::Limit;
///
/// assert_eq!(Limit::Tokens.to_string(), "tokens");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Requests per period.
    Requests,
    /// Tokens per period.
    Tokens,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Requests => "requests",
            Limit::Tokens => "tokens",
        })
    }
}

/// A call refused by a [`RateLimiter`](super::RateLimiter): it would have had to wait
/// longer than the limiter's `max_wait`, or it asks for more tokens than the limiter
/// ever holds at once.
///
/// It carries the limiter's name, the limit that refused it, and how long the call would
/// have needed to wait ([`retry_in`](Self::retry_in)); a `#[retry]` above the limiter
/// waits exactly that long before its next attempt. A call that can never pass (its cost
/// is above the burst) has a `retry_in` of [`Duration::MAX`], so a retry gives up at
/// once. The attribute macros return it as `E::from(RateLimited)`.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::rate_limit::{Limit, RateLimited};
///
/// let err = RateLimited::new("openai", Limit::Tokens, Duration::from_millis(2_500));
/// assert_eq!(err.name(), "openai");
/// assert_eq!(err.retry_in(), Duration::from_millis(2_500));
/// assert_eq!(err.to_string(), "rate limiter `openai` is out of tokens; retry in 2.5s");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateLimited {
    name: &'static str,
    limit: Limit,
    retry_in: Duration,
    /// The cost and the burst of a call that can never pass.
    never: Option<(u64, u64)>,
}

impl RateLimited {
    /// The error for a call refused by the limiter `name`'s `limit`, which would have
    /// passed in `retry_in`.
    ///
    /// Mostly useful to build expected values in tests and in `From` impls; limiters
    /// create their own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::rate_limit::{Limit, RateLimited};
    ///
    /// let err = RateLimited::new("search", Limit::Requests, Duration::from_secs(1));
    /// assert_eq!(err.limit(), Limit::Requests);
    /// ```
    pub const fn new(name: &'static str, limit: Limit, retry_in: Duration) -> Self {
        RateLimited {
            name,
            limit,
            retry_in,
            never: None,
        }
    }

    /// The error for a call whose `cost` is above the `burst` of the limit: no wait
    /// makes it fit.
    pub(crate) const fn never(name: &'static str, limit: Limit, cost: u64, burst: u64) -> Self {
        RateLimited {
            name,
            limit,
            retry_in: Duration::MAX,
            never: Some((cost, burst)),
        }
    }

    /// The name of the limiter that refused the call.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::{Limit, RateLimited};
    /// assert_eq!(RateLimited::new("db", Limit::Requests, Duration::ZERO).name(), "db");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How long until the call would have passed; [`Duration::MAX`] when it never can
    /// (see [`exceeds_burst`](Self::exceeds_burst)).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::{Limit, RateLimited};
    /// let err = RateLimited::new("db", Limit::Requests, Duration::from_secs(3));
    /// assert_eq!(err.retry_in(), Duration::from_secs(3));
    /// ```
    pub const fn retry_in(&self) -> Duration {
        self.retry_in
    }

    /// The limit that refused the call (the one that would have made it wait longest).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::{Limit, RateLimited};
    /// let err = RateLimited::new("db", Limit::Tokens, Duration::from_secs(3));
    /// assert_eq!(err.limit(), Limit::Tokens);
    /// ```
    pub const fn limit(&self) -> Limit {
        self.limit
    }

    /// Whether the call asked for more than the limit ever holds at once, so that no
    /// wait could have let it through.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::{Limit, RateLimited};
    /// assert!(!RateLimited::new("db", Limit::Tokens, Duration::ZERO).exceeds_burst());
    /// ```
    pub const fn exceeds_burst(&self) -> bool {
        self.never.is_some()
    }
}

impl fmt::Display for RateLimited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.never {
            Some((cost, burst)) => write!(
                f,
                "rate limiter `{}` can never admit a call of {cost} {}: it holds at most {burst} at once",
                self.name, self.limit
            ),
            None => write!(
                f,
                "rate limiter `{}` is out of {}; retry in {}",
                self.name,
                self.limit,
                crate::human::duration(self.retry_in)
            ),
        }
    }
}

impl std::error::Error for RateLimited {}

/// Lets I/O code put a rate limiter in front of calls that return [`std::io::Error`]: the
/// refusal becomes an error of kind [`Other`](std::io::ErrorKind::Other) whose source is
/// the [`RateLimited`].
///
/// ```
/// use std::{io, time::Duration};
/// use resilience_core::rate_limit::{Limit, RateLimited};
///
/// let err = io::Error::from(RateLimited::new("disk", Limit::Requests, Duration::from_secs(1)));
/// assert_eq!(err.kind(), io::ErrorKind::Other);
/// ```
impl From<RateLimited> for std::io::Error {
    fn from(limited: RateLimited) -> Self {
        std::io::Error::other(limited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_above_the_burst_says_so() {
        let err = RateLimited::never("openai", Limit::Tokens, 5_000, 4_000);
        assert!(err.exceeds_burst());
        assert_eq!(err.retry_in(), Duration::MAX);
        assert_eq!(
            err.to_string(),
            "rate limiter `openai` can never admit a call of 5000 tokens: it holds at most 4000 at once"
        );
    }
}
