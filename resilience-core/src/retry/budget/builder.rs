//! [`RetryBudgetBuilder`]: a budget's settings, validated.

use core::time::Duration;

use super::RetryBudget;
use super::window::BUCKETS;
use crate::ConfigError;
use crate::circuit::clock::saturating_nanos;

/// A budget's settings, in the units its arithmetic uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) name: &'static str,
    pub(crate) ratio: f64,
    pub(crate) window: Duration,
    pub(crate) floor: f64,
    pub(crate) throttled_cost: f64,
    /// What one first attempt adds, in millionths of a retry.
    pub(crate) ratio_ppm: u64,
    /// The floor's reserve over one window, in millionths of a retry.
    pub(crate) reserve_ppm: u64,
    /// One tick: a tenth of the window.
    pub(crate) tick_nanos: u64,
    /// What a retry the server paced costs, in thousandths of a retry.
    pub(crate) throttled_milli: u64,
}

/// Builds a [`RetryBudget`]; every setter is `const`, and [`build`](Self::build)
/// validates.
///
/// Defaults (DESIGN.md's): `ratio` 0.2 (retries may add 20 % of the first attempts),
/// `window` 10 s, `floor` 10 retries per second, `throttled_cost` 1.0, name
/// `"retry_budget"`.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::retry::RetryBudget;
///
/// let budget = RetryBudget::builder()
///     .name("openai")
///     .ratio(0.1)
///     .window(Duration::from_secs(30))
///     .floor(1.0)
///     .build()?;
/// assert_eq!(budget.ratio(), 0.1);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RetryBudgetBuilder {
    name: &'static str,
    ratio: f64,
    window: Duration,
    floor: f64,
    throttled_cost: f64,
}

impl RetryBudget {
    /// Starts configuring a budget; the defaults are listed on [`RetryBudgetBuilder`].
    ///
    /// ```
    /// use resilience_core::retry::RetryBudget;
    ///
    /// let budget = RetryBudget::builder().name("llm").build()?;
    /// assert_eq!(budget.name(), "llm");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> RetryBudgetBuilder {
        RetryBudgetBuilder {
            name: "retry_budget",
            ratio: 0.2,
            window: Duration::from_secs(10),
            floor: 10.0,
            throttled_cost: 1.0,
        }
    }
}

impl RetryBudgetBuilder {
    /// The budget's name, in events and the [`registry`](crate::registry). Budgets that
    /// `#[retry(budget = "name")]` makes take that name.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// assert_eq!(RetryBudget::builder().name("openai").build()?.name(), "openai");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// The share of first attempts that retries may add: `0.2` lets 100 first attempts
    /// pay for 20 retries. At least 0, at most 1000. Default 0.2.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// let err = RetryBudget::builder().ratio(-0.5).build().unwrap_err();
    /// assert_eq!(err.key(), "ratio");
    /// ```
    pub const fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// How long a first attempt and a retry count: the window slides in tenths of it
    /// (so each leaves between 0.9 and 1.0 windows after it happened). At least 10 ms.
    /// Default 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::retry::RetryBudget;
    /// let budget = RetryBudget::builder().window(Duration::from_secs(60)).build()?;
    /// assert_eq!(budget.window(), Duration::from_secs(60));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Retries per second allowed whatever the traffic, so a quiet client can still
    /// retry: a reserve of `floor` × `window` retries in every window (which a burst may
    /// spend at once, as Finagle's and tower's floors do). At least 0. Default 10.
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// let budget = RetryBudget::builder().floor(0.0).build()?;
    /// assert_eq!(budget.floor(), 0.0); // retries only out of the ratio
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn floor(mut self, floor: f64) -> Self {
        self.floor = floor;
        self
    }

    /// What a retry costs when the server (or a breaker below) said when to come back
    /// (`retry_after`, `CircuitOpen::retry_in`), in retries; every other retry and every
    /// hedge costs 1. At least 0, at most 1000. Default 1.0: every retry costs the same.
    ///
    /// A retry the server paced adds no load at the moment the server is overloaded,
    /// so some budgets price it lower (`0.5`: a 429 honoured costs half a 5xx retry).
    ///
    /// ```
    /// # use resilience_core::retry::RetryBudget;
    /// let budget = RetryBudget::builder().throttled_cost(0.5).build()?;
    /// assert_eq!(budget.throttled_cost(), 0.5);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn throttled_cost(mut self, cost: f64) -> Self {
        self.throttled_cost = cost;
        self
    }

    /// Validates the settings and makes the budget; `const`, so it can initialise a
    /// `static`.
    ///
    /// ```
    /// use resilience_core::retry::RetryBudget;
    ///
    /// static BUDGET: RetryBudget = match RetryBudget::builder().name("docs::llm").build() {
    ///     Ok(budget) => budget,
    ///     Err(_) => panic!("bad budget settings"),
    /// };
    /// assert_eq!(BUDGET.name(), "docs::llm");
    /// ```
    #[cfg(not(loom))]
    pub const fn build(self) -> Result<RetryBudget, ConfigError> {
        match self.config() {
            Ok(config) => Ok(RetryBudget::from_config(config)),
            Err(error) => Err(error),
        }
    }

    /// The same under `cfg(loom)`, whose atomics have no `const fn new`.
    #[cfg(loom)]
    pub fn build(self) -> Result<RetryBudget, ConfigError> {
        self.config().map(RetryBudget::from_config)
    }

    const fn config(self) -> Result<Config, ConfigError> {
        if !(self.ratio.is_finite() && self.ratio >= 0.0 && self.ratio <= 1000.0) {
            return Err(ConfigError::new("ratio", "must be a number from 0 to 1000"));
        }
        if self.window.as_millis() < 10 {
            return Err(ConfigError::new("window", "must be at least 10ms"));
        }
        if !(self.floor.is_finite() && self.floor >= 0.0) {
            return Err(ConfigError::new(
                "floor",
                "must be a finite number of at least 0",
            ));
        }
        let cost = self.throttled_cost;
        if !(cost.is_finite() && cost >= 0.0 && cost <= 1000.0) {
            return Err(ConfigError::new(
                "throttled_cost",
                "must be a number from 0 to 1000",
            ));
        }
        // Float-to-integer casts saturate: a huge floor is an unlimited reserve.
        let reserve = self.floor * self.window.as_secs_f64() * 1e6;
        Ok(Config {
            name: self.name,
            ratio: self.ratio,
            window: self.window,
            floor: self.floor,
            throttled_cost: cost,
            ratio_ppm: (self.ratio * 1e6 + 0.5) as u64,
            reserve_ppm: (reserve + 0.5) as u64,
            tick_nanos: saturating_nanos(self.window) / BUCKETS as u64,
            throttled_milli: (cost * 1e3 + 0.5) as u64,
        })
    }
}
