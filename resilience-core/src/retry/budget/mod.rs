//! Retry budgets: retries limited to a share of the real traffic, so that a fleet of
//! clients cannot multiply an outage (Finagle's, Envoy's and gRPC's retry budgets).
//!
//! A [`RetryBudget`] counts **first attempts** (deposits) and **retries** (withdrawals)
//! over a sliding window (default 10 s). A retry is allowed while
//!
//! ```text
//! retries in the window + this one  <=  floor × window  +  ratio × first attempts in the window
//! ```
//!
//! with `ratio` 0.2 and `floor` 10 retries per second by default: 100 first attempts pay
//! for 20 retries, and a quiet client still has 100 retries per 10 s. When a retry is
//! refused, `#[retry]` gives up at once and returns the last error, with a "retry budget
//! exhausted" event. Hedged calls (`#[hedge]`) draw on the same budget, one per extra
//! call. Budgets are shared: every function naming `#[retry(budget = "openai")]` uses
//! one budget, and `budget = &SOME_BUDGET` shares an explicit one.
//!
//! The arithmetic is exact: ratios are kept in millionths and costs in thousandths of a
//! retry, compared as integers, so a ratio of 0.3 is 0.3 (tower's budget truncates it,
//! tower#857). Over any run that starts with an empty budget, the retries it allowed
//! never exceed `ratio × first attempts + floor × window × ⌈run / window⌉`.
//!
//! # Pricing retries by what the server said
//!
//! A retry whose delay the server gave (`retry_after`, a 429's `Retry-After`) or a
//! breaker's refusal set (`CircuitOpen::retry_in`) is priced at
//! [`throttled_cost`](RetryBudgetBuilder::throttled_cost); any other retry, and every
//! hedge, costs 1. The default `throttled_cost` is 1 too, so the rule above holds as
//! written; a budget may make waited-out 429s cheaper (the AWS SDKs' retry quota prices
//! throttling and transient errors differently). Pricing by *how a retry is paced*
//! rather than by the error's type needs nothing of `E`, and agrees with
//! `resilience::http`'s classification: a 429 with `Retry-After` is paced, a 503
//! without it is not.
//!
//! # Cost on the success path
//!
//! A first attempt is one atomic add and no clock read: deposits wait in one counter
//! until the next withdrawal or status read places them in the window (see the
//! `window` module: they are spread evenly over the time since the last placing).
//!
//! ```
//! use resilience_core::retry::{Price, RetryBudget};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! let budget = RetryBudget::builder().floor(0.0).build()?; // only the ratio
//! for _ in 0..10 {
//!     budget.deposit(); // ten first attempts
//! }
//! assert!(budget.try_withdraw(Price::Retry)); // 20 % of 10: two retries
//! assert!(budget.try_withdraw(Price::Retry));
//! assert!(!budget.try_withdraw(Price::Retry));
//! # Ok::<(), resilience_core::ConfigError>(())
//! # }).unwrap();
//! ```

mod builder;
mod named;
pub mod shared;
mod window;

use core::fmt;
use core::time::Duration;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use builder::Config;
pub use builder::RetryBudgetBuilder;
pub use named::{NamedBudget, named};
use window::{Sums, Window};

use crate::circuit::clock::now_nanos;
use crate::registry::{self, Protection, Status, Value};

/// A share of first attempts that retries may add, over a sliding window, plus a floor
/// (see the [module docs](self)). Lock-free; shared by reference (`&'static` in a
/// `static`, or per client).
///
/// ```
/// use resilience_core::retry::{Price, RetryBudget};
///
/// static BUDGET: RetryBudget = match RetryBudget::builder().name("docs::budget").build() {
///     Ok(budget) => budget,
///     Err(_) => panic!(),
/// };
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// BUDGET.deposit();
/// assert!(BUDGET.try_withdraw(Price::Retry)); // the floor's reserve
/// # });
/// ```
pub struct RetryBudget {
    window: Window,
    /// The budget's first use, on `circuit::clock`'s nanosecond scale (0: not yet):
    /// ticks count from here, so its buckets start with it.
    origin: AtomicU64,
    registered: AtomicBool,
    /// Its slot in the store shared between processes (see [`shared`]); 0: not asked.
    attached: std::sync::atomic::AtomicUsize,
    config: Config,
}

/// What a retry costs (see [pricing](self#pricing-retries-by-what-the-server-said)).
///
/// ```
/// use resilience_core::retry::Price;
///
/// assert_ne!(Price::Retry, Price::Throttled);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Price {
    /// A retry after a failure, or a hedge: costs 1.
    Retry,
    /// A retry whose delay the server or a refusal gave: costs
    /// [`throttled_cost`](RetryBudget::throttled_cost).
    Throttled,
}

/// A budget's figures over its current window.
///
/// ```
/// # use resilience_core::retry::RetryBudget;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let budget = RetryBudget::builder().build()?;
/// let stats = budget.stats();
/// assert_eq!((stats.first_attempts, stats.retries, stats.available), (0, 0.0, 100.0));
/// # Ok::<(), resilience_core::ConfigError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BudgetStats {
    /// First attempts in the window.
    pub first_attempts: u64,
    /// Retries (and hedges) in the window, by cost.
    pub retries: f64,
    /// Retries the budget would pay for now (0 when overdrawn).
    pub available: f64,
}

impl RetryBudget {
    #[cfg(not(loom))]
    const fn from_config(config: Config) -> Self {
        RetryBudget {
            window: Window::new(),
            origin: AtomicU64::new(0),
            registered: AtomicBool::new(false),
            attached: std::sync::atomic::AtomicUsize::new(0),
            config,
        }
    }

    #[cfg(loom)]
    fn from_config(config: Config) -> Self {
        RetryBudget {
            window: Window::new(),
            origin: AtomicU64::new(0),
            registered: AtomicBool::new(false),
            attached: std::sync::atomic::AtomicUsize::new(0),
            config,
        }
    }

    /// The budget's name, as given to [`RetryBudgetBuilder::name`].
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().build()?.name(), "retry_budget");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(&self) -> &'static str {
        self.config.name
    }

    /// The share of first attempts retries may add.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().build()?.ratio(), 0.2);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn ratio(&self) -> f64 {
        self.config.ratio
    }

    /// The sliding window.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().build()?.window(), std::time::Duration::from_secs(10));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn window(&self) -> Duration {
        self.config.window
    }

    /// Retries per second allowed whatever the traffic.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().build()?.floor(), 10.0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn floor(&self) -> f64 {
        self.config.floor
    }

    /// What a retry costs when the server said when to come back.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().build()?.throttled_cost(), 1.0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn throttled_cost(&self) -> f64 {
        self.config.throttled_cost
    }

    /// Counts one first attempt: one atomic add, no clock read (the first call ever
    /// also reads the clock once, to start the window).
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let budget = RetryBudget::builder().build()?;
    /// budget.deposit();
    /// assert_eq!(budget.stats().first_attempts, 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    #[inline(always)]
    pub fn deposit(&self) {
        if self.window.deposit() {
            self.start();
        }
    }

    #[cold]
    #[inline(never)]
    fn start(&self) {
        self.window.start(self.tick());
    }

    /// Pays for one more call (a retry, a hedge) at `price` if the budget holds it:
    /// `true` if it did, `false` (and nothing taken) if not.
    ///
    /// ```
    /// use resilience_core::retry::{Price, RetryBudget};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let budget = RetryBudget::builder().floor(0.1).build()?; // 1 retry per 10 s
    /// assert!(budget.try_withdraw(Price::Retry));
    /// assert!(!budget.try_withdraw(Price::Retry));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn try_withdraw(&self, price: Price) -> bool {
        let cost = match price {
            Price::Retry => 1000,
            Price::Throttled => self.config.throttled_milli,
        };
        if let Some(shared) = self.shared_budget() {
            // The fleet first: a refusal there takes nothing here.
            if !shared.allows(cost as f64 / 1e3) {
                return false;
            }
        }
        let config = self.config;
        self.window
            .try_withdraw(self.tick(), cost, |sums| admits(&config, sums))
    }

    /// Retries the budget would pay for now.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// assert_eq!(RetryBudget::builder().floor(2.0).build()?.available(), 20.0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn available(&self) -> f64 {
        self.stats().available
    }

    /// First attempts, retries and what is available, over the current window.
    ///
    /// ```
    /// # use resilience_core::retry::{Price, RetryBudget};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let budget = RetryBudget::builder().floor(0.0).build()?;
    /// (0..5).for_each(|_| budget.deposit());
    /// assert!(budget.try_withdraw(Price::Retry));
    /// let stats = budget.stats();
    /// assert_eq!((stats.first_attempts, stats.retries, stats.available), (5, 1.0, 0.0));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn stats(&self) -> BudgetStats {
        let tick = self.tick();
        self.window.settle(tick);
        let sums = self.window.sums(tick);
        let config = &self.config;
        let earned = u128::from(config.reserve_ppm)
            + u128::from(config.ratio_ppm) * u128::from(sums.deposits);
        let spent = u128::from(sums.spent) * 1000;
        BudgetStats {
            first_attempts: sums.deposits,
            retries: sums.spent as f64 / 1e3,
            available: earned.saturating_sub(spent) as f64 / 1e6,
        }
    }

    /// Puts this budget in the [`registry`] (once; later calls are one atomic load), so
    /// status pages see it. Budgets made by `#[retry(budget = "name")]` are registered
    /// when made.
    ///
    /// ```
    /// use resilience_core::{registry, retry::RetryBudget};
    ///
    /// static BUDGET: RetryBudget = match RetryBudget::builder().name("docs::registered").build() {
    ///     Ok(budget) => budget,
    ///     Err(_) => panic!(),
    /// };
    /// BUDGET.register();
    /// assert!(registry::find("retry_budget", "docs::registered").is_some());
    /// ```
    #[inline]
    pub fn register(&'static self) -> &'static Self {
        // Acquire pairs with the release store made under the registry lock.
        if !self.registered.load(Ordering::Acquire) {
            registry::register(self);
        }
        self
    }

    /// The current tick: tenths of the window since the budget's first use.
    fn tick(&self) -> u64 {
        let now = now_nanos();
        let origin = match self.origin.load(Ordering::Relaxed) {
            0 => match self
                .origin
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => now,
                Err(first) => first,
            },
            origin => origin,
        };
        now.saturating_sub(origin) / self.config.tick_nanos
    }
}

/// Whether the window's sums (the new withdrawal included) are within the budget.
fn admits(config: &Config, sums: Sums) -> bool {
    let spent = u128::from(sums.spent) * 1000;
    let earned =
        u128::from(config.reserve_ppm) + u128::from(config.ratio_ppm) * u128::from(sums.deposits);
    spent <= earned
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("name", &self.config.name)
            .field("ratio", &self.config.ratio)
            .field("window", &self.config.window)
            .field("floor", &self.config.floor)
            .field("throttled_cost", &self.config.throttled_cost)
            .finish_non_exhaustive()
    }
}

impl Protection for RetryBudget {
    fn kind(&self) -> &'static str {
        "retry_budget"
    }

    fn name(&self) -> &str {
        self.config.name
    }

    fn status(&self) -> Status {
        let stats = self.stats();
        Status::new()
            .with("available", Value::Ratio(stats.available))
            .with("first_attempts", Value::Count(stats.first_attempts))
            .with("retries", Value::Ratio(stats.retries))
            .with("ratio", Value::Ratio(self.config.ratio))
            .with("floor", Value::Ratio(self.config.floor))
            .with("window", Value::Duration(self.config.window))
    }

    fn registered(&self) {
        self.registered.store(true, Ordering::Release);
    }
}

/// What a retry layer draws on: a [`RetryBudget`] (as `&RetryBudget`), or
/// [`NoBudget`].
///
/// ```
/// use resilience_core::retry::{Budget, NoBudget, Price};
///
/// fn retry_once<B: Budget>(budget: B) -> bool {
///     budget.deposit();
///     budget.try_withdraw(Price::Retry)
/// }
/// assert!(retry_once(NoBudget));
/// ```
pub trait Budget {
    /// Counts one first attempt.
    fn deposit(&self);

    /// Pays for one more call at `price`, if the budget holds it.
    fn try_withdraw(&self, price: Price) -> bool;

    /// The budget's name, for events.
    fn name(&self) -> &'static str;
}

/// No budget: every retry the policy allows is paid for. What a retry layer without
/// `budget` has; it costs nothing.
///
/// ```
/// use resilience_core::retry::{Budget, NoBudget, Price};
///
/// assert!(NoBudget.try_withdraw(Price::Retry));
/// assert_eq!(size_of::<NoBudget>(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBudget;

impl Budget for NoBudget {
    #[inline(always)]
    fn deposit(&self) {}

    #[inline(always)]
    fn try_withdraw(&self, _: Price) -> bool {
        true
    }

    fn name(&self) -> &'static str {
        ""
    }
}

impl Budget for &RetryBudget {
    #[inline(always)]
    fn deposit(&self) {
        RetryBudget::deposit(self);
    }

    fn try_withdraw(&self, price: Price) -> bool {
        RetryBudget::try_withdraw(self, price)
    }

    fn name(&self) -> &'static str {
        RetryBudget::name(self)
    }
}

/// The window's counters, for the model-checked tests of `tests/loom_budget.rs`: ticks
/// are given by hand, costs are in thousandths of a retry.
#[cfg(loom)]
pub mod loom_window {
    /// The lock-free window of a [`RetryBudget`](super::RetryBudget).
    #[derive(Debug)]
    pub struct Window(super::Window);

    impl Window {
        /// An empty window.
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Window(super::Window::new())
        }

        /// One deposit; `true`: call [`start`](Self::start).
        pub fn deposit(&self) -> bool {
            self.0.deposit()
        }

        /// Starts the window (or places a billion waiting deposits) at `tick`.
        pub fn start(&self, tick: u64) {
            self.0.start(tick);
        }

        /// Places the waiting deposits at `tick`.
        pub fn settle(&self, tick: u64) {
            self.0.settle(tick);
        }

        /// Withdraws `cost` at `tick` if the window then holds at most `limit` of cost
        /// beyond `per_deposit` for each deposit.
        pub fn try_withdraw(&self, tick: u64, cost: u64, limit: u64, per_deposit: u64) -> bool {
            self.0.try_withdraw(tick, cost, |sums| {
                sums.spent <= limit + per_deposit * sums.deposits
            })
        }

        /// The deposits and the spent cost in the window at `tick`.
        pub fn sums(&self, tick: u64) -> (u64, u64) {
            let sums = self.0.sums(tick);
            (sums.deposits, sums.spent)
        }
    }
}
