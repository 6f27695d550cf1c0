//! What is left of a limiter, what a call really used, and what the server says is left.

use std::time::Duration;

use super::RateLimiter;
use super::gcra::Rate;
use crate::circuit::clock;

/// What a [`RateLimiter`] could admit at once now: the whole requests and tokens left in
/// its buckets (`None` for a limit it does not keep).
///
/// ```
/// use resilience_core::rate_limit::{Left, RateLimiter};
///
/// let limiter = RateLimiter::builder().requests(3).build()?;
/// assert_eq!(limiter.left(), Left { requests: Some(3), tokens: None });
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Left {
    /// Requests left, if requests are limited.
    pub requests: Option<u64>,
    /// Tokens left, if tokens are limited.
    pub tokens: Option<u64>,
}

/// What a server reported about what is left of one limit of an API key, read from
/// OpenAI-style headers (`x-ratelimit-limit-tokens`, `x-ratelimit-remaining-tokens`,
/// `x-ratelimit-reset-tokens`) by `http::rate_limit_report`.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::rate_limit::Window;
///
/// let window = Window { limit: Some(200_000), remaining: 150_000, reset: Some(Duration::from_secs(15)) };
/// assert_eq!(window.remaining, 150_000);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Window {
    /// The key's limit per period, when the server said (`x-ratelimit-limit-*`).
    pub limit: Option<u64>,
    /// What is left of it now (`x-ratelimit-remaining-*`).
    pub remaining: u64,
    /// How long until it is whole again (`x-ratelimit-reset-*`), when the server said.
    pub reset: Option<Duration>,
}

/// What a server reported about an API key's requests and tokens (either may be absent).
/// Hand it to [`RateLimiter::follow`].
///
/// ```
/// use resilience_core::rate_limit::{ServerReport, Window};
///
/// let report = ServerReport {
///     requests: Some(Window { limit: Some(500), remaining: 499, reset: None }),
///     tokens: None,
/// };
/// assert!(report.tokens.is_none());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ServerReport {
    /// The requests limit (`x-ratelimit-*-requests`).
    pub requests: Option<Window>,
    /// The tokens limit (`x-ratelimit-*-tokens`).
    pub tokens: Option<Window>,
}

impl RateLimiter {
    /// The requests and tokens this limiter could admit at once now.
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::builder().tokens(1_000).build()?;
    /// limiter.try_acquire(300)?;
    /// assert_eq!(limiter.left().tokens, Some(700));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn left(&self) -> Left {
        let now = clock::now_nanos();
        Left {
            requests: self
                .config
                .requests
                .map(|rate| rate.left(self.requests.tat(), now)),
            tokens: self
                .config
                .tokens
                .map(|rate| rate.left(self.tokens.tat(), now)),
        }
    }

    /// Corrects the tokens of a call that took `estimated` and really used `used`: the
    /// difference is given back (calls waiting are woken to use it) or charged (later
    /// calls wait until it is paid off). Does nothing for a limiter without a token
    /// limit.
    ///
    /// A refund never fills the bucket above its burst: tokens given back after the
    /// bucket has refilled are not kept.
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::builder().tokens(1_000).build()?;
    /// limiter.try_acquire(500)?;
    /// limiter.reconcile(500, 200);
    /// assert_eq!(limiter.left().tokens, Some(800));
    /// limiter.reconcile(0, 900); // a call that said nothing and used 900
    /// assert_eq!(limiter.left().tokens, Some(0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reconcile(&self, estimated: u64, used: u64) {
        let Some(rate) = &self.config.tokens else {
            return;
        };
        if estimated == used {
            return;
        }
        if let Some(shared) = self.shared_limit() {
            shared.reconcile(estimated, used);
        }
        let now = clock::now_nanos();
        let (taken, spent) = (rate.span(estimated), rate.span(used));
        if spent > taken {
            self.tokens.charge(spent - taken, now);
        } else {
            self.tokens.give_back(taken - spent, now);
            self.waitlist.wake_front();
        }
        tracing::debug!(
            target: "resilience",
            name = self.config.name,
            estimated,
            used,
            "rate limiter reconciled a call's usage"
        );
    }

    /// Makes this limiter hold no more than what the server reports is left of the API
    /// key, so that it follows other processes spending the same key.
    ///
    /// For each limit the report covers: the bucket is lowered to the share of its burst
    /// that `remaining` is of the server's `limit` (to `remaining` itself when the server
    /// gave no limit), and it is not full again before `reset`. A report only ever slows
    /// the limiter down: when the server says more is left than the limiter thinks, the
    /// limiter keeps its own count (its calls in flight are not in the server's yet).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::rate_limit::{RateLimiter, ServerReport, Window};
    ///
    /// let limiter = RateLimiter::builder().requests(100).build()?;
    /// // Another process spent 60 of the key's 100 requests.
    /// limiter.follow(&ServerReport {
    ///     requests: Some(Window { limit: Some(100), remaining: 40, reset: None }),
    ///     tokens: None,
    /// });
    /// assert_eq!(limiter.left().requests, Some(40));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn follow(&self, report: &ServerReport) {
        let now = clock::now_nanos();
        let pairs = [
            (&self.config.requests, &self.requests, report.requests),
            (&self.config.tokens, &self.tokens, report.tokens),
        ];
        let mut followed = false;
        for (rate, bucket, window) in pairs {
            if let (Some(rate), Some(window)) = (rate, window) {
                bucket.raise(full_at(rate, &window, now));
                followed = true;
            }
        }
        if followed {
            tracing::debug!(
                target: "resilience",
                name = self.config.name,
                requests = report.requests.map(|w| w.remaining),
                tokens = report.tokens.map(|w| w.remaining),
                "rate limiter followed the server's report"
            );
        }
    }
}

/// The instant at which a bucket that matches `window` is full again.
fn full_at(rate: &Rate, window: &Window, now: u64) -> u64 {
    let burst = rate.burst();
    let left = match window.limit {
        Some(limit) if limit > 0 => {
            let share =
                u128::from(window.remaining.min(limit)) * u128::from(burst) / u128::from(limit);
            u64::try_from(share).unwrap_or(burst)
        }
        _ => window.remaining.min(burst),
    };
    let refill = rate.span(burst - left);
    let reset = window.reset.map_or(0, clock::saturating_nanos);
    now.saturating_add(refill.max(reset))
}
