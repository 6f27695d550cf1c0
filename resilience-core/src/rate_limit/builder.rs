//! Configuration of a [`RateLimiter`], checked once in a `const fn`.

use std::time::Duration;

use super::gcra::Rate;
use super::{RateLimiter, Settings};
use crate::ConfigError;

/// Builds a [`RateLimiter`]; every setter and [`build`](Self::build) is a `const fn`, so a
/// limiter can live in a `static`.
///
/// | setting | meaning | default |
/// |---|---|---|
/// | [`name`](Self::name) | name in events, errors and the [`registry`](crate::registry) | `"rate_limit"` |
/// | [`requests`](Self::requests) | requests per period | no request limit |
/// | [`tokens`](Self::tokens) | tokens per period (each call says how many it takes) | no token limit |
/// | [`per`](Self::per) | the period | 1 minute |
/// | [`request_burst`](Self::request_burst) | most requests at once | `requests` (a whole period's worth) |
/// | [`token_burst`](Self::token_burst) | most tokens at once | `tokens` |
/// | [`max_wait`](Self::max_wait) | longest a call waits for capacity; longer is refused at once | `per` |
///
/// At least one of `requests` and `tokens` is required.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::rate_limit::RateLimiter;
///
/// // OpenAI's tier-1 gpt-4o-mini: 500 requests and 200 000 tokens per minute.
/// static OPENAI: RateLimiter = RateLimiter::new(resilience_core::ConfigError::unwrap_const(
///     RateLimiter::builder()
///         .name("openai")
///         .requests(500)
///         .tokens(200_000)
///         .max_wait(Duration::from_secs(20))
///         .settings(),
/// ));
///
/// assert_eq!(OPENAI.per(), Duration::from_secs(60));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RateLimiterBuilder {
    name: &'static str,
    requests: Option<u64>,
    tokens: Option<u64>,
    per: Duration,
    request_burst: Option<u64>,
    token_burst: Option<u64>,
    max_wait: Option<Duration>,
}

impl Default for RateLimiterBuilder {
    /// Same as [`RateLimiter::builder`].
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimiterBuilder {
    /// A builder with the defaults listed on [`RateLimiterBuilder`] (and no limit yet).
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiterBuilder;
    ///
    /// let limiter = RateLimiterBuilder::new().requests(10).build()?;
    /// assert_eq!(limiter.name(), "rate_limit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new() -> Self {
        RateLimiterBuilder {
            name: "rate_limit",
            requests: None,
            tokens: None,
            per: Duration::from_secs(60),
            request_burst: None,
            token_burst: None,
            max_wait: None,
        }
    }

    /// The limiter's name in events, in [`RateLimited`](super::RateLimited) and in the
    /// [`registry`](crate::registry). Must not be empty.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().name("search").requests(1).build()?;
    /// assert_eq!(limiter.name(), "search");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// At most `requests` calls per period (at least 1). Every call counts as one.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().requests(60).build()?;
    /// assert_eq!(limiter.requests(), Some(60));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn requests(mut self, requests: u64) -> Self {
        self.requests = Some(requests);
        self
    }

    /// At most `tokens` tokens per period (at least 1). Each call takes the tokens it
    /// says it will use (its estimate), corrected afterwards with what it really used
    /// ([`RateLimiter::reconcile`]).
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().tokens(90_000).build()?;
    /// assert_eq!(limiter.tokens(), Some(90_000));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn tokens(mut self, tokens: u64) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// The period both limits count over (not zero).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().requests(10).per(Duration::from_secs(1)).build()?;
    /// assert_eq!(limiter.per(), Duration::from_secs(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn per(mut self, per: Duration) -> Self {
        self.per = per;
        self
    }

    /// At most `burst` requests at once (1 to `requests`): after a quiet spell, the
    /// first `burst` calls pass at once and the next ones are spaced `per / requests`
    /// apart. Default: `requests`, a whole period's allowance at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::RateLimiter;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let limiter = RateLimiter::builder().requests(60).request_burst(1).build()?;
    /// assert!(limiter.try_acquire(0).is_ok());
    /// assert_eq!(limiter.try_acquire(0).unwrap_err().retry_in(), Duration::from_secs(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub const fn request_burst(mut self, burst: u64) -> Self {
        self.request_burst = Some(burst);
        self
    }

    /// At most `burst` tokens at once (1 to `tokens`); a call that asks for more is
    /// refused at once. Default: `tokens`.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().tokens(90_000).token_burst(10_000).build()?;
    /// assert!(limiter.try_acquire(20_000).unwrap_err().exceeds_burst());
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn token_burst(mut self, burst: u64) -> Self {
        self.token_burst = Some(burst);
        self
    }

    /// The longest a call waits for capacity. A call that would have to wait longer is
    /// refused at once with [`RateLimited`](super::RateLimited), whose `retry_in` says
    /// how long it would have needed. Zero: never wait. Default: `per`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().requests(1).max_wait(Duration::ZERO).build()?;
    /// assert_eq!(limiter.max_wait(), Duration::ZERO);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    /// Checks the settings and builds the limiter.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an empty name, no limit at all, a limit of zero, a zero or
    /// over-long period, or a burst of zero or above its limit.
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// assert_eq!(RateLimiter::builder().build().unwrap_err().key(), "requests");
    /// assert_eq!(RateLimiter::builder().tokens(10).token_burst(11).build().unwrap_err().key(), "token_burst");
    /// ```
    #[cfg(not(loom))]
    pub const fn build(self) -> Result<RateLimiter, ConfigError> {
        match self.settings() {
            Ok(settings) => Ok(RateLimiter::new(settings)),
            Err(err) => Err(err),
        }
    }

    /// The same checks as the `const` `build` of a normal build; under `cfg(loom)` the
    /// limiter's atomics are loom's, which have no `const fn new`.
    ///
    /// # Errors
    ///
    /// As `build`.
    #[cfg(loom)]
    pub fn build(self) -> Result<RateLimiter, ConfigError> {
        self.settings().map(RateLimiter::new)
    }

    /// Checks the settings without building the limiter: what a `static` limiter is
    /// built from (a limiter holds a lock, so a `Result` of one cannot be unwrapped in a
    /// `const`; its [`Settings`] can).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// ```
    /// use resilience_core::{rate_limit::RateLimiter, ConfigError};
    ///
    /// static SEARCH: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    ///     RateLimiter::builder().name("search").requests(10).settings(),
    /// ));
    /// assert_eq!(SEARCH.requests(), Some(10));
    /// ```
    pub const fn settings(self) -> Result<Settings, ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::new("name", "must not be empty"));
        }
        if self.requests.is_none() && self.tokens.is_none() {
            return Err(ConfigError::new(
                "requests",
                "a rate limiter needs `requests` or `tokens` (or both)",
            ));
        }
        let period = self.per.as_nanos();
        if period == 0 {
            return Err(ConfigError::new("per", "must not be zero"));
        }
        if period > u64::MAX as u128 {
            return Err(ConfigError::new("per", "must be at most about 584 years"));
        }
        let period = period as u64;
        let requests = match rate(self.requests, self.request_burst, period) {
            Ok(rate) => rate,
            Err(RateError::Amount) => {
                return Err(ConfigError::new("requests", "must be at least 1"));
            }
            Err(RateError::Burst) => {
                return Err(ConfigError::new(
                    "request_burst",
                    "must be at least 1 and at most `requests`",
                ));
            }
        };
        let tokens = match rate(self.tokens, self.token_burst, period) {
            Ok(rate) => rate,
            Err(RateError::Amount) => {
                return Err(ConfigError::new("tokens", "must be at least 1"));
            }
            Err(RateError::Burst) => {
                return Err(ConfigError::new(
                    "token_burst",
                    "must be at least 1 and at most `tokens`",
                ));
            }
        };
        let max_wait = match self.max_wait {
            Some(max_wait) => max_wait,
            None => self.per,
        };
        Ok(Settings {
            name: self.name,
            requests,
            tokens,
            per: self.per,
            max_wait,
        })
    }
}

enum RateError {
    Amount,
    Burst,
}

/// One limit's [`Rate`], if it is set.
const fn rate(
    amount: Option<u64>,
    burst: Option<u64>,
    period: u64,
) -> Result<Option<Rate>, RateError> {
    let Some(amount) = amount else {
        return Ok(None);
    };
    if amount == 0 {
        return Err(RateError::Amount);
    }
    let burst = match burst {
        Some(burst) => burst,
        None => amount,
    };
    if burst == 0 || burst > amount {
        return Err(RateError::Burst);
    }
    Ok(Some(Rate::new(amount, period, burst)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_setting_names_its_key() {
        let key = |builder: RateLimiterBuilder| builder.build().unwrap_err().key();
        let ok = RateLimiterBuilder::new().requests(1);
        assert_eq!(key(ok.name("")), "name");
        assert_eq!(key(RateLimiterBuilder::new()), "requests");
        assert_eq!(key(RateLimiterBuilder::new().requests(0)), "requests");
        assert_eq!(key(RateLimiterBuilder::new().tokens(0)), "tokens");
        assert_eq!(key(ok.per(Duration::ZERO)), "per");
        assert_eq!(key(ok.per(Duration::MAX)), "per");
        assert_eq!(key(ok.request_burst(0)), "request_burst");
        assert_eq!(key(ok.request_burst(2)), "request_burst");
        assert_eq!(key(ok.tokens(5).token_burst(6)), "token_burst");
        assert!(ok.tokens(5).token_burst(5).build().is_ok());
    }

    #[test]
    fn max_wait_defaults_to_the_period() {
        let limiter = RateLimiterBuilder::new()
            .requests(1)
            .per(Duration::from_secs(7))
            .build()
            .unwrap();
        assert_eq!(limiter.max_wait(), Duration::from_secs(7));
    }
}
