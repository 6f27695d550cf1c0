//! Configuration of a [`CircuitBreaker`], checked once in a `const fn`.

use std::time::Duration;

use super::CircuitBreaker;
use super::state::MAX_HALF_OPEN_COUNT;
use crate::ConfigError;

/// Builds a [`CircuitBreaker`]; every setter and [`build`](Self::build) is a `const fn`,
/// so a breaker can live in a `static`.
///
/// | setting | meaning | default |
/// |---|---|---|
/// | [`name`](Self::name) | name in events, errors and the [`registry`](crate::registry) | `"circuit"` |
/// | [`threshold`](Self::threshold) | consecutive counted failures that open it | 3 |
/// | [`recovery`](Self::recovery) | how long it stays open before a probe may pass | 30s |
/// | [`success_threshold`](Self::success_threshold) | probe successes that close it | 2 |
/// | [`probes`](Self::probes) | most probes in flight at once while half-open | `success_threshold` |
///
/// ```
/// use std::time::Duration;
/// use resilience_core::circuit::CircuitBreaker;
///
/// static GPT4: CircuitBreaker = match CircuitBreaker::builder()
///     .name("gpt4")
///     .threshold(5)
///     .recovery(Duration::from_secs(60))
///     .build()
/// {
///     Ok(breaker) => breaker,
///     Err(_) => panic!("bad circuit breaker settings"),
/// };
///
/// assert_eq!(GPT4.threshold(), 5);
/// assert_eq!(GPT4.probes(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct CircuitBreakerBuilder {
    name: &'static str,
    threshold: u32,
    recovery: Duration,
    success_threshold: u32,
    probes: Option<u32>,
}

impl Default for CircuitBreakerBuilder {
    /// Same as [`CircuitBreaker::builder`].
    fn default() -> Self {
        Self::new()
    }
}

impl CircuitBreakerBuilder {
    /// A builder with the defaults listed on [`CircuitBreakerBuilder`].
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreakerBuilder;
    ///
    /// let breaker = CircuitBreakerBuilder::new().build()?;
    /// assert_eq!(breaker.name(), "circuit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new() -> Self {
        Self {
            name: "circuit",
            threshold: 3,
            recovery: Duration::from_secs(30),
            success_threshold: 2,
            probes: None,
        }
    }

    /// The breaker's name in events, in [`CircuitOpen`](super::CircuitOpen) and in the
    /// [`registry`](crate::registry). Must not be empty.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().name("search").build()?;
    /// assert_eq!(breaker.name(), "search");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Consecutive counted failures that open the breaker (at least 1). A success in
    /// between starts the count again.
    ///
    /// ```
    /// # use resilience_core::circuit::{CircuitBreaker, State};
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn threshold(mut self, failures: u32) -> Self {
        self.threshold = failures;
        self
    }

    /// How long the breaker stays open before the next call is let through as a probe.
    /// Zero is allowed: the first call after opening is then a probe. Durations beyond
    /// about 584 years are treated as 584 years.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().recovery(Duration::from_secs(5)).build()?;
    /// assert_eq!(breaker.recovery(), Duration::from_secs(5));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery(mut self, recovery: Duration) -> Self {
        self.recovery = recovery;
        self
    }

    /// Successful probes, counted over one half-open period, that close the breaker
    /// (1 to 65535).
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().success_threshold(3).build()?;
    /// assert_eq!((breaker.success_threshold(), breaker.probes()), (3, 3));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = successes;
        self
    }

    /// Most probes in flight at once while half-open (1 to 65535); further calls are
    /// rejected until one finishes. Defaults to `success_threshold`.
    ///
    /// It may be smaller than `success_threshold`: `probes(1)` with
    /// `success_threshold(3)` closes after three successful probes made one at a time.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let breaker = CircuitBreaker::builder().success_threshold(3).probes(1).build()?;
    /// assert_eq!(breaker.probes(), 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn probes(mut self, probes: u32) -> Self {
        self.probes = Some(probes);
        self
    }

    /// Checks the settings and builds the breaker, closed and with zeroed counters.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting when `name` is empty, `threshold`,
    /// `success_threshold` or `probes` is 0, or `success_threshold` or `probes` is above
    /// 65535.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// let err = CircuitBreaker::builder().threshold(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `threshold`: must be at least 1");
    /// ```
    #[cfg(not(loom))]
    pub const fn build(self) -> Result<CircuitBreaker, ConfigError> {
        match self.config() {
            Ok(config) => Ok(CircuitBreaker::from_config(config)),
            Err(err) => Err(err),
        }
    }

    /// The same checks as the `const` `build` of a normal build; under `cfg(loom)` the
    /// breaker's atomics are loom's, which have no `const fn new`.
    ///
    /// # Errors
    ///
    /// As `build`.
    #[cfg(loom)]
    pub fn build(self) -> Result<CircuitBreaker, ConfigError> {
        self.config().map(CircuitBreaker::from_config)
    }

    /// The validated settings, or the first bad one.
    const fn config(self) -> Result<super::Config, ConfigError> {
        let probes = match self.probes {
            Some(probes) => probes,
            None => self.success_threshold,
        };
        if self.name.is_empty() {
            return Err(crate::config::config_error!("name", "must not be empty"));
        }
        if self.threshold == 0 {
            return Err(crate::config::config_error!(
                "threshold",
                "must be at least 1"
            ));
        }
        if self.success_threshold == 0 {
            return Err(crate::config::config_error!(
                "success_threshold",
                "must be at least 1"
            ));
        }
        if self.success_threshold > MAX_HALF_OPEN_COUNT {
            return Err(crate::config::config_error!(
                "success_threshold",
                "must be at most 65535"
            ));
        }
        if probes == 0 {
            return Err(crate::config::config_error!("probes", "must be at least 1"));
        }
        if probes > MAX_HALF_OPEN_COUNT {
            return Err(crate::config::config_error!(
                "probes",
                "must be at most 65535"
            ));
        }
        Ok(super::Config {
            name: self.name,
            threshold: self.threshold,
            recovery: self.recovery,
            success_threshold: self.success_threshold,
            probes,
        })
    }
}
