//! `BackoffBuilder`: const setters, validation in `build()`.

use core::time::Duration;

use super::{Backoff, BackoffKind, Jitter};
use crate::ConfigError;

/// Builds a [`Backoff`]; every setter is `const`, and [`build`](Self::build) validates.
///
/// Start from [`Backoff::exponential`], [`Backoff::fixed`] or [`Backoff::linear`]. Defaults:
/// `base` 1s, `factor` 2.0, `max` 10s, `jitter` [`Jitter::Full`].
///
/// ```
/// use resilience_core::backoff::{Backoff, Jitter};
/// use std::time::Duration;
///
/// const BACKOFF: Backoff = match Backoff::exponential()
///     .base(Duration::from_millis(100))
///     .factor(3.0)
///     .max(Duration::from_secs(5))
///     .jitter(Jitter::None)
///     .build()
/// {
///     Ok(backoff) => backoff,
///     Err(_) => panic!("bad backoff"),
/// };
/// assert_eq!(BACKOFF.delay(3), Duration::from_millis(900));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct BackoffBuilder {
    kind: BackoffKind,
    base: Duration,
    factor: f64,
    max: Duration,
    jitter: Jitter,
}

impl BackoffBuilder {
    /// A builder for `kind` with the default settings.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, BackoffBuilder, BackoffKind};
    ///
    /// let backoff = BackoffBuilder::new(BackoffKind::Linear).build()?;
    /// assert_eq!(backoff, Backoff::linear().build()?);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new(kind: BackoffKind) -> Self {
        let d = Backoff::DEFAULT;
        Self {
            kind,
            base: d.base(),
            factor: d.factor(),
            max: d.max(),
            jitter: d.jitter(),
        }
    }

    /// The first delay (and for fixed backoff, every delay). Zero is allowed (no waiting).
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::fixed().base(Duration::from_millis(250)).build()?;
    /// assert_eq!(backoff.delay(7), Duration::from_millis(250));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// Growth per retry of exponential backoff: must be finite and at least 1.0. Ignored by
    /// fixed and linear backoff (still validated).
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// assert!(Backoff::exponential().factor(1.5).build().is_ok());
    /// let err = Backoff::exponential().factor(0.5).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `factor`: must be at least 1.0");
    /// ```
    pub const fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// The cap on any single delay, jittered or not. Must be at least `base`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::exponential().max(Duration::from_secs(3)).build()?;
    /// assert_eq!(backoff.delay(10), Duration::from_secs(3));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// How each delay is randomised; see [`Jitter`].
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    ///
    /// let backoff = Backoff::linear().jitter(Jitter::Decorrelated).build()?;
    /// assert_eq!(backoff.jitter(), Jitter::Decorrelated);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Validates the settings. Refuses a `factor` that is NaN, infinite or below 1.0, and a
    /// `base` longer than `max`. Never panics.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let err = Backoff::fixed().base(Duration::from_secs(30)).build().unwrap_err();
    /// assert_eq!(err.key(), "base");
    /// assert_eq!(err.reason(), "must not exceed `max` (10s unless set)");
    /// assert!(Backoff::fixed().base(Duration::from_secs(30)).max(Duration::from_secs(30)).build().is_ok());
    /// ```
    pub const fn build(self) -> Result<Backoff, ConfigError> {
        if self.factor.is_nan() {
            return Err(crate::config::config_error!("factor", "must not be NaN"));
        }
        if self.factor.is_infinite() {
            return Err(crate::config::config_error!("factor", "must be finite"));
        }
        if self.factor < 1.0 {
            return Err(crate::config::config_error!(
                "factor",
                "must be at least 1.0"
            ));
        }
        if self.base.as_nanos() > self.max.as_nanos() {
            return Err(crate::config::config_error!(
                "base",
                "must not exceed `max` (10s unless set)"
            ));
        }
        Ok(Backoff::from_parts(
            self.kind,
            self.base,
            self.factor,
            self.max,
            self.jitter,
        ))
    }
}

impl Default for BackoffBuilder {
    /// The default exponential builder, same as [`Backoff::exponential`].
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, BackoffBuilder};
    ///
    /// assert_eq!(BackoffBuilder::default().build()?, Backoff::default());
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    fn default() -> Self {
        Backoff::exponential()
    }
}
