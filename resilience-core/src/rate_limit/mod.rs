//! A rate limiter for requests and tokens per period: pace the calls to an API that meters
//! you, instead of learning its limits from `429 Too Many Requests`.
//!
//! LLM providers meter each key by requests and by tokens per minute (OpenAI's RPM and
//! TPM, Anthropic's input and output tokens). A [`RateLimiter`] keeps either or both:
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::rate_limit::RateLimiter;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let limiter = RateLimiter::builder()
//!     .name("openai")
//!     .requests(60) // per minute, the default period
//!     .tokens(10_000)
//!     .build()?;
//!
//! let start = tokio::time::Instant::now();
//! limiter.acquire(6_000).await?; // passes at once
//! limiter.acquire(6_000).await?; // waits until enough tokens are back: 12s
//! assert_eq!(start.elapsed(), Duration::from_secs(12));
//!
//! // The call said 6 000 and used 1 500: the difference comes back.
//! limiter.reconcile(6_000, 1_500);
//! assert_eq!(limiter.left().tokens, Some(4_500));
//! # Ok(())
//! # }
//! ```
//!
//! # How it counts: GCRA
//!
//! Each limit is a token bucket holding at most its `burst` (a whole period's allowance
//! unless told less), refilled continuously at `amount / per`. It is kept as GCRA keeps
//! it (governor, redis-cell): one number, the instant at which the bucket would be full
//! again, in one atomic word changed by compare-and-swap. A call takes one request and
//! the tokens it estimates it will use; both limits must have room.
//!
//! So `requests = 60, per = 1m` lets 60 calls through at once after a quiet minute, and
//! then one every second, exactly: the sixty-first passes 1s after the first.
//!
//! # Estimates and usage
//!
//! A call's tokens are only known once it has run (the prompt's tokens plus the
//! completion's). It takes its *estimate* before it runs, and
//! [`reconcile`](RateLimiter::reconcile) corrects the bucket afterwards with what it
//! really used: a refund when it used less (calls waiting behind it are woken to use it),
//! a charge when it used more (later calls wait until the debt is paid off). A call that
//! asks for more tokens than the bucket ever holds (its burst) is refused at once with
//! [`RateLimited::exceeds_burst`], never left waiting forever.
//!
//! # Waiting, fairness and cancellation
//!
//! A call that finds no room waits for it, up to [`max_wait`](RateLimiter::max_wait)
//! (default: one period). When it would have to wait longer it is refused at once with
//! [`RateLimited`], whose `retry_in` is the wait it would have needed (a `#[retry]`
//! above waits exactly that long).
//!
//! Waiting calls are served **in arrival order**. They queue in a first-come,
//! first-served list; only the call at its front may take capacity, and a newcomer finds
//! the list non-empty and queues behind it. So a call with a large token estimate is
//! never starved by small ones arriving after it: they wait behind it, even when the
//! bucket already holds enough for them. The wait a newcomer would have is predicted
//! from everyone queued ahead of it, which is how it knows at arrival whether it would
//! exceed `max_wait`.
//!
//! A waiting call holds nothing but its place in the list: capacity is taken only when
//! it is admitted. A waiting call that is dropped (a `select!`, a deadline above it, a
//! client hanging up) leaves the list, and the call behind it moves up: it gives back
//! everything it had. An admitted call whose future is dropped keeps its estimate
//! charged: the request may have reached the server.
//!
//! # Following the server
//!
//! Other processes may spend the same API key. OpenAI-style servers report what is left
//! of it (`x-ratelimit-remaining-*`, `x-ratelimit-reset-*`); hand that to
//! [`follow`](RateLimiter::follow) (the `http` feature reads the headers) and the bucket
//! holds no more than the server says is left. It only ever slows down from a report;
//! its own accounting speeds it up again.
//!
//! # Cost
//!
//! An admission that finds room and nobody waiting is lock-free: a read of the wait list's
//! length, then one compare-and-swap per limit, and one clock read. No allocation. The
//! list's lock is taken only by calls that wait. Every admission after a wait, every
//! refusal and every reconciliation emits a `debug` event with target `resilience`.

mod admission;
mod bucket;
mod builder;
mod error;
mod gcra;
#[cfg(not(loom))]
mod keyed;
mod layer;
mod protection;
mod report;
pub mod shared;
mod waiting;

use core::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

pub use builder::RateLimiterBuilder;
pub use error::{Limit, RateLimited};
#[cfg(not(loom))]
pub use keyed::{KeyLimiter, KeyPin, RateLimiters};
pub use layer::{
    FromRateLimited, LimiterRef, NoUsage, RateLimitLayer, RateLimitStack, Tokens, Usage,
};
pub use report::{Left, ServerReport, Window};
pub use waiting::Acquire;

use bucket::Bucket;
use gcra::Rate;

use crate::waitlist::Waitlist;

/// A limit on requests and tokens per period, shared by the calls it paces.
///
/// It is a plain struct of atomics (and a wait list) with a `const` builder, so it can
/// live in a `static` (what `#[rate_limit]` does, one per function or per name), in a
/// field (one per client instance), or anywhere else; share it by reference. See the
/// [module documentation](self) for how it counts and waits.
///
/// ```
/// use resilience_core::rate_limit::RateLimiter;
///
/// static SEARCH: RateLimiter = RateLimiter::new(resilience_core::ConfigError::unwrap_const(
///     RateLimiter::builder().name("search").requests(2).settings(),
/// ));
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// assert!(SEARCH.try_acquire(0).is_ok());
/// assert!(SEARCH.try_acquire(0).is_ok());
/// let refused = SEARCH.try_acquire(0).unwrap_err();
/// assert_eq!(refused.retry_in(), std::time::Duration::from_secs(30)); // on a paused clock
/// # });
/// ```
pub struct RateLimiter {
    config: Settings,
    requests: Bucket,
    tokens: Bucket,
    waitlist: Waitlist,
    /// Calls admitted after waiting.
    waited: AtomicU64,
    /// Calls refused.
    rejected: AtomicU64,
    /// The limiter this one's name stands for, once registered (see [`register`](Self::register)).
    shared: OnceLock<&'static RateLimiter>,
    /// Its share of a store shared between processes, once asked (see [`shared`]).
    attached: OnceLock<Option<std::sync::Arc<dyn shared::SharedLimit>>>,
}

/// A rate limiter's settings, checked: what [`RateLimiterBuilder::settings`] returns and
/// [`RateLimiter::new`] takes. `Copy`, so it unwraps in a `const` with
/// [`ConfigError::unwrap_const`](crate::ConfigError::unwrap_const).
///
/// ```
/// use resilience_core::rate_limit::{RateLimiter, Settings};
///
/// let settings: Settings = RateLimiter::builder().requests(5).settings()?;
/// assert_eq!(RateLimiter::new(settings).requests(), Some(5));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    name: &'static str,
    requests: Option<Rate>,
    tokens: Option<Rate>,
    per: Duration,
    max_wait: Duration,
}

impl RateLimiter {
    /// Starts configuring a limiter; the defaults are listed on [`RateLimiterBuilder`].
    ///
    /// ```
    /// use resilience_core::rate_limit::RateLimiter;
    ///
    /// let limiter = RateLimiter::builder().name("openai").requests(500).tokens(200_000).build()?;
    /// assert_eq!(limiter.tokens(), Some(200_000));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder::new()
    }

    /// A limiter with checked `settings`: the way to build one in a `static` (a bad
    /// setting stops compilation there).
    ///
    /// ```
    /// use resilience_core::{rate_limit::RateLimiter, ConfigError};
    ///
    /// static OPENAI: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    ///     RateLimiter::builder().name("openai").requests(500).tokens(200_000).settings(),
    /// ));
    /// assert_eq!(OPENAI.name(), "openai");
    /// ```
    #[cfg(not(loom))]
    pub const fn new(config: Settings) -> Self {
        RateLimiter {
            config,
            requests: Bucket::new(),
            tokens: Bucket::new(),
            waitlist: Waitlist::new(),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            shared: OnceLock::new(),
            attached: OnceLock::new(),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub fn new(config: Settings) -> Self {
        RateLimiter {
            config,
            requests: Bucket::new(),
            tokens: Bucket::new(),
            waitlist: Waitlist::new(),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            shared: OnceLock::new(),
            attached: OnceLock::new(),
        }
    }

    /// The limiter's name, as given to [`RateLimiterBuilder::name`].
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().requests(1).build()?.name(), "rate_limit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(&self) -> &'static str {
        self.config.name
    }

    /// Requests per period, if requests are limited.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().tokens(5).build()?.requests(), None);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn requests(&self) -> Option<u64> {
        match &self.config.requests {
            Some(rate) => Some(rate.amount()),
            None => None,
        }
    }

    /// Tokens per period, if tokens are limited.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().tokens(5).build()?.tokens(), Some(5));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn tokens(&self) -> Option<u64> {
        match &self.config.tokens {
            Some(rate) => Some(rate.amount()),
            None => None,
        }
    }

    /// Most requests at once, if requests are limited.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().requests(60).request_burst(5).build()?;
    /// assert_eq!(limiter.request_burst(), Some(5));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn request_burst(&self) -> Option<u64> {
        match &self.config.requests {
            Some(rate) => Some(rate.burst()),
            None => None,
        }
    }

    /// Most tokens at once, if tokens are limited: a call asking for more is refused.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().tokens(5).build()?.token_burst(), Some(5));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn token_burst(&self) -> Option<u64> {
        match &self.config.tokens {
            Some(rate) => Some(rate.burst()),
            None => None,
        }
    }

    /// The period both limits count over.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().requests(1).build()?.per(), Duration::from_secs(60));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn per(&self) -> Duration {
        self.config.per
    }

    /// The longest a call waits for capacity before it is refused instead.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().requests(1).build()?.max_wait(), Duration::from_secs(60));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max_wait(&self) -> Duration {
        self.config.max_wait
    }

    /// How many calls wait for capacity now.
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// assert_eq!(RateLimiter::builder().requests(1).build()?.waiting(), 0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn waiting(&self) -> usize {
        self.waitlist.len()
    }

    /// The counters since the limiter was created (see [`Stats`]).
    ///
    /// ```
    /// # use resilience_core::rate_limit::{RateLimiter, Stats};
    /// let limiter = RateLimiter::builder().requests(1).build()?;
    /// let _ = limiter.try_acquire(0);
    /// let _ = limiter.try_acquire(0);
    /// assert_eq!(limiter.stats(), Stats { waited: 0, rejected: 1 });
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        Stats {
            waited: self.waited.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
        }
    }

    /// Registers this limiter in the [`registry`](crate::registry) under its name, the
    /// first time only, and returns the limiter that name stands for.
    ///
    /// Limiters given the same name share one: the first to register is the one every
    /// later one with that name returns (a later one with other settings gets a `warn`
    /// event, and its own settings are not used). That is how several functions with
    /// `#[rate_limit(name = "openai", ..)]` share one quota. After the first call this
    /// is one atomic load, so the attribute macros call it on every call.
    ///
    /// ```
    /// use resilience_core::{rate_limit::RateLimiter, registry, ConfigError};
    ///
    /// static A: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    ///     RateLimiter::builder().name("docs::key").requests(9).settings(),
    /// ));
    /// static B: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    ///     RateLimiter::builder().name("docs::key").requests(9).settings(),
    /// ));
    ///
    /// assert!(std::ptr::eq(A.register(), &A));
    /// assert!(std::ptr::eq(B.register(), &A)); // the same quota
    /// assert!(std::ptr::eq(registry::rate_limiter("docs::key").unwrap(), &A));
    /// ```
    #[inline]
    pub fn register(&'static self) -> &'static Self {
        match self.shared.get() {
            Some(shared) => shared,
            None => self.register_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn register_slow(&'static self) -> &'static Self {
        self.shared
            .get_or_init(|| crate::registry::adopt(self, |a, b| a.config == b.config))
    }
}

/// A [`RateLimiter`]'s counters.
///
/// ```
/// let stats = resilience_core::rate_limit::Stats::default();
/// assert_eq!(stats.rejected, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Calls admitted after waiting for capacity.
    pub waited: u64,
    /// Calls refused ([`RateLimited`]).
    pub rejected: u64,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.config.name)
            .field("requests", &self.requests())
            .field("tokens", &self.tokens())
            .field("per", &self.config.per)
            .field("max_wait", &self.config.max_wait)
            .field("left", &self.left())
            .field("waiting", &self.waiting())
            .field("stats", &self.stats())
            .finish()
    }
}
