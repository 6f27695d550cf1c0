//! [`ChaosBuilder`]: validated, `const` configuration of a [`Chaos`].

use core::sync::atomic::AtomicU64;
use core::time::Duration;

use super::{Chaos, Fault};
use crate::ConfigError;

/// 2^53: uniform draws are 53-bit integers, compared against `rate * 2^53`.
const UNIT: f64 = 9_007_199_254_740_992.0;

/// Configures a [`Chaos`]; created by [`Chaos::builder`].
///
/// Defaults: seed 0, failure rate 0.5 (the notebook's `fail_rate`), no latency, faults
/// [`Fault::DEFAULTS`]. Every setter is `const`, and so is [`build`](Self::build), which
/// validates.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::chaos::{Chaos, Fault};
///
/// let chaos = Chaos::builder()
///     .seed(7)
///     .failure_rate(0.3)
///     .latency(Duration::from_millis(200))
///     .faults(&[Fault::Network, Fault::Server(503)])
///     .build()
///     .unwrap();
/// assert_eq!(chaos.failure_rate(), 0.3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until `build()`"]
pub struct ChaosBuilder {
    seed: u64,
    failure_rate: f64,
    latency: Duration,
    faults: &'static [Fault],
}

impl ChaosBuilder {
    pub(super) const fn new() -> Self {
        Self {
            seed: 0,
            failure_rate: 0.5,
            latency: Duration::ZERO,
            faults: Fault::DEFAULTS,
        }
    }

    /// The seed: the same seed gives the same sequence of outcomes, every run.
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// let a = Chaos::builder().seed(42).build().unwrap();
    /// let b = Chaos::builder().seed(42).build().unwrap();
    /// assert!((0..100).all(|n| a.outcome(n) == b.outcome(n)));
    /// ```
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The probability that a call fails, in `[0.0, 1.0]`: 0 never fails, 1 always fails.
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// assert!(Chaos::builder().failure_rate(1.0).build().unwrap().inject_blocking().is_err());
    /// assert!(Chaos::builder().failure_rate(1.5).build().is_err());
    /// ```
    pub const fn failure_rate(mut self, rate: f64) -> Self {
        self.failure_rate = rate;
        self
    }

    /// How long every injection waits before its outcome (tokio's clock in
    /// [`Chaos::inject`], the thread's in [`Chaos::inject_blocking`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::chaos::Chaos;
    ///
    /// let chaos = Chaos::builder().latency(Duration::from_millis(800)).build().unwrap();
    /// assert_eq!(chaos.latency(), Duration::from_millis(800));
    /// ```
    pub const fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The faults a failing call picks from, each with equal probability (list one twice to
    /// make it twice as likely). Must not be empty.
    ///
    /// ```
    /// use resilience_core::chaos::{Chaos, Fault};
    ///
    /// let chaos = Chaos::builder().failure_rate(1.0).faults(&[Fault::Server(503)]).build().unwrap();
    /// assert_eq!(chaos.inject_blocking(), Err(Fault::Server(503)));
    /// assert!(Chaos::builder().faults(&[]).build().is_err());
    /// ```
    pub const fn faults(mut self, faults: &'static [Fault]) -> Self {
        self.faults = faults;
        self
    }

    /// Validates and builds: the failure rate must be a number in `[0.0, 1.0]` and the fault
    /// list must not be empty.
    ///
    /// ```
    /// use resilience_core::chaos::Chaos;
    ///
    /// let err = Chaos::builder().failure_rate(f64::NAN).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `failure_rate`: must not be NaN");
    /// let err = Chaos::builder().failure_rate(-0.1).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `failure_rate`: must be between 0.0 and 1.0");
    ///
    /// // `const`, so a `static` works (and a bad literal fails to compile):
    /// static CHAOS: Chaos = match Chaos::builder().seed(1).build() {
    ///     Ok(chaos) => chaos,
    ///     Err(_) => panic!("bad chaos config"),
    /// };
    /// assert_eq!(CHAOS.seed(), 1);
    /// ```
    pub const fn build(self) -> Result<Chaos, ConfigError> {
        let rate = self.failure_rate;
        if rate.is_nan() {
            return Err(crate::config::config_error!(
                "failure_rate",
                "must not be NaN"
            ));
        }
        if rate < 0.0 || rate > 1.0 {
            return Err(crate::config::config_error!(
                "failure_rate",
                "must be between 0.0 and 1.0"
            ));
        }
        if self.faults.is_empty() {
            return Err(crate::config::config_error!("faults", "must not be empty"));
        }
        Ok(Chaos {
            seed: self.seed,
            failure_rate: rate,
            // Exact at both ends: 0.0 -> 0 (no 53-bit draw is below it), 1.0 -> 2^53 (all are).
            threshold: (rate * UNIT) as u64,
            latency: self.latency,
            faults: self.faults,
            draws: AtomicU64::new(0),
        })
    }
}

impl Default for ChaosBuilder {
    /// Same as [`Chaos::builder`].
    ///
    /// ```
    /// use resilience_core::chaos::{Chaos, ChaosBuilder};
    /// assert_eq!(ChaosBuilder::default(), Chaos::builder());
    /// ```
    fn default() -> Self {
        Self::new()
    }
}
