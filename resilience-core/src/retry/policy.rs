//! `RetryPolicy` and its const builder.

use core::time::Duration;

use crate::ConfigError;
use crate::backoff::Backoff;

/// How to retry: total attempts, the [`Backoff`] between them, an optional bound on total
/// time, and an optional jitter seed.
///
/// Validated, `Copy` and `const`-constructible, so the attribute macros keep one in a `const`.
/// Defaults: 3 attempts, [`Backoff::DEFAULT`] (exponential 1s, x2, max 10s, full jitter), no
/// `max_elapsed`, no seed.
///
/// ```
/// use resilience_core::ConfigError;
/// use resilience_core::retry::RetryPolicy;
/// use std::time::Duration;
///
/// const POLICY: RetryPolicy = ConfigError::unwrap_const(
///     RetryPolicy::builder()
///         .attempts(4)
///         .max_elapsed(Duration::from_secs(30))
///         .build(),
/// );
/// assert_eq!(POLICY.attempts(), 4);
/// assert_eq!(POLICY.max_elapsed(), Some(Duration::from_secs(30)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    attempts: u32,
    backoff: Backoff,
    max_elapsed: Option<Duration>,
    seed: Option<u64>,
}

/// Builds a [`RetryPolicy`]; every setter is `const`, and [`build`](Self::build) validates.
///
/// ```
/// use resilience_core::backoff::Backoff;
/// use resilience_core::retry::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::builder()
///     .attempts(5)
///     .backoff(Backoff::fixed().base(Duration::from_millis(200)).build()?)
///     .build()?;
/// assert_eq!(policy.backoff().delay(4), Duration::from_millis(200));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RetryPolicyBuilder {
    policy: RetryPolicy,
}

// ===== impl RetryPolicy =====

impl RetryPolicy {
    /// 3 attempts, [`Backoff::DEFAULT`], no `max_elapsed`, no seed (the `#[retry]` defaults).
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::DEFAULT.attempts(), 3);
    /// assert_eq!(RetryPolicy::DEFAULT, RetryPolicy::default());
    /// ```
    pub const DEFAULT: Self = Self {
        attempts: 3,
        backoff: Backoff::DEFAULT,
        max_elapsed: None,
        seed: None,
    };

    /// A builder starting from [`RetryPolicy::DEFAULT`].
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// let policy = RetryPolicy::builder().attempts(1).build()?;
    /// assert_eq!(policy.attempts(), 1); // never retries
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> RetryPolicyBuilder {
        RetryPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// Total calls, the first included: `attempts = 4` is one call and up to three retries.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::builder().attempts(4).build()?.attempts(), 4);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The delay schedule between attempts.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::DEFAULT.backoff(), Backoff::DEFAULT);
    /// ```
    pub const fn backoff(&self) -> Backoff {
        self.backoff
    }

    /// The total-time bound: a delay that would end later than this after the first attempt
    /// started is not taken. `None` (the default) means no bound.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::DEFAULT.max_elapsed(), None);
    /// ```
    pub const fn max_elapsed(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The jitter seed, if set: every call then draws the same schedule,
    /// [`Backoff::iter_seeded`]`(seed)`. For tests and demos.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::builder().seed(7).build()?.seed(), Some(7));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn seed(&self) -> Option<u64> {
        self.seed
    }
}

impl Default for RetryPolicy {
    /// [`RetryPolicy::DEFAULT`].
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::default().attempts(), 3);
    /// ```
    fn default() -> Self {
        Self::DEFAULT
    }
}

// ===== impl RetryPolicyBuilder =====

impl RetryPolicyBuilder {
    /// Total calls, the first included; at least 1 (`1` never retries). Default 3.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// let err = RetryPolicy::builder().attempts(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `attempts`: must be at least 1");
    /// ```
    pub const fn attempts(mut self, attempts: u32) -> Self {
        self.policy.attempts = attempts;
        self
    }

    /// The delay schedule. Default [`Backoff::DEFAULT`].
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// let backoff = Backoff::linear().jitter(Jitter::None).build()?;
    /// let policy = RetryPolicy::builder().backoff(backoff).build()?;
    /// assert_eq!(policy.backoff(), backoff);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.policy.backoff = backoff;
        self
    }

    /// Bounds total time: a delay that would end later than `max_elapsed` after the first
    /// attempt started is not taken, and the last error is returned. Time spent inside the
    /// attempts counts. Zero means "retry only with zero delays at time zero". Default: none.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let policy = RetryPolicy::builder().max_elapsed(Duration::from_secs(20)).build()?;
    /// assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(20)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.policy.max_elapsed = Some(max_elapsed);
        self
    }

    /// Makes the jitter deterministic: every call draws [`Backoff::iter_seeded`]`(seed)`.
    /// For tests and demos; default: a fresh seed per call from [`rand::rng()`].
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert_eq!(RetryPolicy::builder().seed(1).build()?.seed(), Some(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn seed(mut self, seed: u64) -> Self {
        self.policy.seed = Some(seed);
        self
    }

    /// Validates: refuses `attempts == 0`. Never panics.
    ///
    /// ```
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// assert!(RetryPolicy::builder().attempts(10).build().is_ok());
    /// assert_eq!(RetryPolicy::builder().attempts(0).build().unwrap_err().key(), "attempts");
    /// ```
    pub const fn build(self) -> Result<RetryPolicy, ConfigError> {
        if self.policy.attempts == 0 {
            return Err(crate::config::config_error!(
                "attempts",
                "must be at least 1"
            ));
        }
        Ok(self.policy)
    }
}

impl Default for RetryPolicyBuilder {
    /// Same as [`RetryPolicy::builder`].
    ///
    /// ```
    /// use resilience_core::retry::{RetryPolicy, RetryPolicyBuilder};
    ///
    /// assert_eq!(RetryPolicyBuilder::default().build()?, RetryPolicy::DEFAULT);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    fn default() -> Self {
        RetryPolicy::builder()
    }
}
