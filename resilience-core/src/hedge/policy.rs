//! [`HedgePolicy`] and its const builder.

use core::time::Duration;

use crate::ConfigError;

/// When to start another copy of a call, and how many at most.
///
/// Validated, `Copy` and `const`-constructible, so `#[hedge]` keeps one in a `static`.
/// Defaults: `after` 1 s, `max` 1 extra call.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{ConfigError, hedge::HedgePolicy};
///
/// const POLICY: HedgePolicy = ConfigError::unwrap_const(
///     HedgePolicy::builder().after(Duration::from_millis(500)).max(2).build(),
/// );
/// assert_eq!((POLICY.after(), POLICY.max()), (Duration::from_millis(500), 2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HedgePolicy {
    after: Duration,
    max: u32,
}

/// Builds a [`HedgePolicy`]; every setter is `const`, and [`build`](Self::build)
/// validates.
///
/// ```
/// use resilience_core::hedge::HedgePolicy;
///
/// let err = HedgePolicy::builder().max(0).build().unwrap_err();
/// assert_eq!(err.to_string(), "invalid `max`: must be at least 1");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct HedgePolicyBuilder {
    policy: HedgePolicy,
}

/// The most extra calls one hedged call may start.
pub(crate) const MAX_EXTRA: u32 = 64;

impl HedgePolicy {
    /// A builder starting from the defaults (`after` 1 s, `max` 1).
    ///
    /// ```
    /// use resilience_core::hedge::HedgePolicy;
    ///
    /// assert_eq!(HedgePolicy::builder().build()?.max(), 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> HedgePolicyBuilder {
        HedgePolicyBuilder {
            policy: HedgePolicy {
                after: Duration::from_secs(1),
                max: 1,
            },
        }
    }

    /// How long a call may go without an answer before the next copy starts: copy `k`
    /// starts `k × after` after the first.
    ///
    /// ```
    /// # use resilience_core::hedge::HedgePolicy;
    /// assert_eq!(HedgePolicy::builder().build()?.after(), std::time::Duration::from_secs(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn after(&self) -> Duration {
        self.after
    }

    /// The most extra calls (copies after the first).
    ///
    /// ```
    /// # use resilience_core::hedge::HedgePolicy;
    /// assert_eq!(HedgePolicy::builder().max(3).build()?.max(), 3);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max(&self) -> u32 {
        self.max
    }
}

impl HedgePolicyBuilder {
    /// How long a call may go without an answer before the next copy starts. `0`
    /// starts every copy at once. Default 1 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::hedge::HedgePolicy;
    /// let policy = HedgePolicy::builder().after(Duration::from_millis(300)).build()?;
    /// assert_eq!(policy.after(), Duration::from_millis(300));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn after(mut self, after: Duration) -> Self {
        self.policy.after = after;
        self
    }

    /// The most extra calls, from 1 to 64. Default 1.
    ///
    /// ```
    /// # use resilience_core::hedge::HedgePolicy;
    /// assert!(HedgePolicy::builder().max(65).build().is_err());
    /// ```
    pub const fn max(mut self, max: u32) -> Self {
        self.policy.max = max;
        self
    }

    /// Validates the settings.
    ///
    /// ```
    /// # use resilience_core::hedge::HedgePolicy;
    /// assert!(HedgePolicy::builder().max(2).build().is_ok());
    /// ```
    pub const fn build(self) -> Result<HedgePolicy, ConfigError> {
        if self.policy.max == 0 {
            return Err(ConfigError::new("max", "must be at least 1"));
        }
        if self.policy.max > MAX_EXTRA {
            return Err(ConfigError::new("max", "must be at most 64"));
        }
        Ok(self.policy)
    }
}
