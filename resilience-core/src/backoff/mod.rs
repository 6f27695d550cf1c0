//! Delay schedules: how long to wait before retry n.
//!
//! A [`Backoff`] is a validated, `Copy` configuration: a kind ([`exponential`],
//! [`fixed`] or [`linear`]), a `base`, a growth `factor`, a cap `max` and a [`Jitter`]. Its
//! schedule is an ordinary [`Iterator<Item = Duration>`](Delays), so it can be inspected,
//! tested and used on its own; [`retry`](crate::retry) walks the same schedule one retry at a
//! time without building an iterator.
//!
//! | kind | nominal delay before retry n (n = 1, 2, ...) |
//! |---|---|
//! | [`exponential`] | `base * factor^(n-1)` |
//! | [`fixed`] | `base` |
//! | [`linear`] | `base * n` |
//!
//! Every delay, nominal or jittered, is capped at `max`.
//!
//! # Why jitter, and why full jitter by default
//!
//! When a service fails, it fails for many clients at once. Without jitter they all retry
//! after exactly 1s, then exactly 2s, ...: the retries arrive as synchronized bursts that can
//! keep an overloaded service down. Marc Brooker's "Exponential Backoff And Jitter" (AWS
//! Architecture Blog, 2015) compares three ways to spread them, with `d` the capped nominal
//! delay:
//!
//! - **full**: `random_between(0, d)`,
//! - **equal**: `d/2 + random_between(0, d/2)`,
//! - **decorrelated**: `min(max, random_between(base, prev * 3))`.
//!
//! Full jitter did the least total work and finished soonest in those measurements, so it is
//! the default here as it is in the AWS SDKs. Equal jitter guarantees at least half of each
//! nominal wait (useful when the server needs a minimum breather). Decorrelated jitter grows
//! from the previous random draw instead of from n.
//!
//! # Never overflows, never panics
//!
//! `base * factor^(n-1)` overflows a [`Duration`] quickly (factor 2 after ~64 retries, factor
//! 1e300 at once). [`Backoff::delay`] saturates at `max` for every `n` up to `u32::MAX`, and
//! jitter is computed on integer nanoseconds, so no schedule can panic or exceed `max`. Bad
//! settings (a NaN factor, `base > max`) are refused by [`BackoffBuilder::build`], which is a
//! `const fn`: a bad backoff in a `const` fails to compile.
//!
//! # Randomness: lazy, small, reproducible
//!
//! The random value for retry n is the nth output of SplitMix64 from a 64-bit seed, computed
//! directly from `(seed, n)`. The whole generator state is that seed (8 bytes), which keeps
//! [`RetryState`](crate::retry::RetryState) small inside the user's future. [`Backoff::iter`]
//! takes its seed from [`rand::rng()`] only when the first jittered delay is needed, so a
//! call that succeeds first time touches no generator. [`Backoff::iter_seeded`] is fully
//! deterministic, on every platform and independent of the `rand` version.
//!
//! ```
//! use resilience_core::backoff::{Backoff, Jitter};
//! use std::time::Duration;
//!
//! let backoff = Backoff::exponential()
//!     .base(Duration::from_millis(500))
//!     .max(Duration::from_secs(8))
//!     .build()?;
//! // Nominal schedule: 0.5s, 1s, 2s, 4s, 8s, 8s, ...
//! assert_eq!(backoff.delay(5), Duration::from_secs(8));
//! // Full jitter: each delay is drawn from [0, nominal].
//! for (n, delay) in (1..=10).zip(backoff.iter()) {
//!     assert!(delay <= backoff.delay(n));
//! }
//! # Ok::<(), resilience_core::ConfigError>(())
//! ```
//!
//! [`exponential`]: Backoff::exponential
//! [`fixed`]: Backoff::fixed
//! [`linear`]: Backoff::linear

mod builder;
mod delays;
mod jitter;

use core::time::Duration;

pub use builder::BackoffBuilder;
pub use delays::Delays;
pub use jitter::Jitter;
pub(crate) use jitter::lazy_draw;

/// How the nominal delay grows with the retry number n.
///
/// ```
/// use resilience_core::backoff::{Backoff, BackoffKind};
///
/// assert_eq!(Backoff::linear().build()?.kind(), BackoffKind::Linear);
/// assert_eq!(BackoffKind::default(), BackoffKind::Exponential);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BackoffKind {
    /// `base * factor^(n-1)`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::exponential().build()?;
    /// assert_eq!(b.delay(3), Duration::from_secs(4));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[default]
    Exponential,
    /// `base`, every time.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::fixed().build()?;
    /// assert_eq!(b.delay(3), Duration::from_secs(1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    Fixed,
    /// `base * n`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::linear().build()?;
    /// assert_eq!(b.delay(3), Duration::from_secs(3));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    Linear,
}

/// A validated delay schedule: kind, `base`, `factor`, `max` cap and [`Jitter`].
///
/// Build one with [`Backoff::exponential`], [`Backoff::fixed`] or [`Backoff::linear`], all
/// `const`. [`Backoff::default()`] is exponential, base 1s, factor 2.0, max 10s, full jitter.
///
/// ```
/// use resilience_core::backoff::{Backoff, Jitter};
/// use std::time::Duration;
///
/// let backoff = Backoff::exponential().jitter(Jitter::None).build()?;
/// let delays: Vec<_> = backoff.iter().take(6).collect();
/// assert_eq!(delays, [1, 2, 4, 8, 10, 10].map(Duration::from_secs));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    kind: BackoffKind,
    base: Duration,
    factor: f64,
    max: Duration,
    jitter: Jitter,
}

// ===== impl Backoff =====

impl Backoff {
    /// Exponential, base 1s, factor 2.0, max 10s, full jitter (the `#[retry]` defaults).
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// assert_eq!(Backoff::DEFAULT, Backoff::default());
    /// ```
    pub const DEFAULT: Self = Self {
        kind: BackoffKind::Exponential,
        base: Duration::from_secs(1),
        factor: 2.0,
        max: Duration::from_secs(10),
        jitter: Jitter::Full,
    };

    pub(crate) const fn from_parts(
        kind: BackoffKind,
        base: Duration,
        factor: f64,
        max: Duration,
        jitter: Jitter,
    ) -> Self {
        Self {
            kind,
            base,
            factor,
            max,
            jitter,
        }
    }

    /// Exponential backoff: the delay before retry n is `base * factor^(n-1)`, capped at `max`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::exponential().base(Duration::from_millis(100)).build()?;
    /// assert_eq!(b.delay(1), Duration::from_millis(100));
    /// assert_eq!(b.delay(4), Duration::from_millis(800));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn exponential() -> BackoffBuilder {
        BackoffBuilder::new(BackoffKind::Exponential)
    }

    /// Fixed backoff: the delay before every retry is `base`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::fixed().base(Duration::from_millis(200)).build()?;
    /// assert_eq!(b.delay(1), b.delay(100));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn fixed() -> BackoffBuilder {
        BackoffBuilder::new(BackoffKind::Fixed)
    }

    /// Linear backoff: the delay before retry n is `base * n`, capped at `max`.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::linear().base(Duration::from_secs(2)).build()?;
    /// assert_eq!(b.delay(3), Duration::from_secs(6));
    /// assert_eq!(b.delay(30), Duration::from_secs(10));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn linear() -> BackoffBuilder {
        BackoffBuilder::new(BackoffKind::Linear)
    }

    /// How the nominal delay grows.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, BackoffKind};
    ///
    /// assert_eq!(Backoff::fixed().build()?.kind(), BackoffKind::Fixed);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn kind(&self) -> BackoffKind {
        self.kind
    }

    /// The first delay.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Backoff::DEFAULT.base(), Duration::from_secs(1));
    /// ```
    pub const fn base(&self) -> Duration {
        self.base
    }

    /// The growth factor of exponential backoff (finite, at least 1.0).
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// assert_eq!(Backoff::DEFAULT.factor(), 2.0);
    /// ```
    pub const fn factor(&self) -> f64 {
        self.factor
    }

    /// The cap on any single delay.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Backoff::DEFAULT.max(), Duration::from_secs(10));
    /// ```
    pub const fn max(&self) -> Duration {
        self.max
    }

    /// How each delay is randomised.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    ///
    /// assert_eq!(Backoff::DEFAULT.jitter(), Jitter::Full);
    /// ```
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Nominal (un-jittered) delay before retry n (n >= 1), capped at `max`.
    ///
    /// Saturating: never overflows or panics, for any `n` up to `u32::MAX` and any factor.
    /// `delay(0)` is zero (there is no retry 0).
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::exponential().factor(1e300).build()?;
    /// assert_eq!(b.delay(1), Duration::from_secs(1));
    /// assert_eq!(b.delay(2), Duration::from_secs(10));
    /// assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn delay(&self, n: u32) -> Duration {
        if n == 0 {
            return Duration::ZERO;
        }
        let nominal = match self.kind {
            BackoffKind::Fixed => self.base,
            BackoffKind::Linear => self.base.checked_mul(n).unwrap_or(self.max),
            BackoffKind::Exponential => self.exponential_delay(n - 1),
        };
        nominal.min(self.max)
    }

    /// `base * factor^exp`, saturating at `max` (the result may still need `.min(max)`).
    fn exponential_delay(&self, exp: u32) -> Duration {
        // Exact shortcuts; also keeps 0 * inf (NaN) away from the float path.
        if exp == 0 || self.base.is_zero() || self.factor == 1.0 {
            return self.base;
        }
        // factor > 1 here: an exponent beyond i32 overflows any Duration.
        let multiplier = i32::try_from(exp).map_or(f64::INFINITY, |e| self.factor.powi(e));
        // Nanoseconds as f64: integers below 2^53 are exact, so 1s * 2^k stays exact.
        let nanos = self.base.as_nanos() as f64 * multiplier;
        if nanos < self.max.as_nanos() as f64 {
            // Rounding `base` to an f64 may lose a little; never go below `base`. The
            // caller caps at `max` again after rounding.
            nanos_to_duration(nanos).max(self.base)
        } else {
            self.max
        }
    }

    /// Delay before retry n with this backoff's jitter applied; `random` is called at most
    /// once (never for `Jitter::None`), `prev` is the decorrelated state.
    pub(crate) fn jittered(
        &self,
        n: u32,
        random: impl FnOnce() -> u64,
        prev: &mut u64,
    ) -> Duration {
        if n == 0 {
            return Duration::ZERO;
        }
        let nominal = self.delay(n);
        self.jitter
            .apply(n, nominal, self.base, self.max, random, prev)
    }

    /// The jittered schedule as an infinite iterator: the nth item is the delay before retry n.
    ///
    /// Seeded from [`rand::rng()`] when the first jittered item is asked for (never with
    /// [`Jitter::None`]), so two schedules differ.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// let backoff = Backoff::exponential().build()?;
    /// for (n, delay) in (1..=8).zip(backoff.iter()) {
    ///     assert!(delay <= backoff.delay(n)); // full jitter: [0, nominal]
    /// }
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn iter(&self) -> Delays {
        Delays::new(*self, None)
    }

    /// The jittered schedule, deterministic for `seed` (same on every platform).
    ///
    /// For tests and demos: in production, identical seeds make clients retry in lockstep,
    /// which is what jitter is there to prevent.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// let backoff = Backoff::exponential().build()?;
    /// let a: Vec<_> = backoff.iter_seeded(42).take(5).collect();
    /// let b: Vec<_> = backoff.iter_seeded(42).take(5).collect();
    /// assert_eq!(a, b);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn iter_seeded(&self, seed: u64) -> Delays {
        Delays::new(*self, Some(seed))
    }
}

/// Whole nanoseconds (rounded) as a [`Duration`], saturating at [`Duration::MAX`].
///
/// Goes through `u128`, not `u64`: a `u64` of nanoseconds saturates at 584 years, far
/// below `Duration::MAX`, and would make a schedule above that shrink.
fn nanos_to_duration(nanos: f64) -> Duration {
    // `as` saturates (and maps NaN to 0); f64::MAX is below u128::MAX only by rounding.
    let nanos = nanos.round() as u128;
    let secs = nanos / 1_000_000_000;
    match u64::try_from(secs) {
        Ok(secs) => Duration::new(secs, (nanos % 1_000_000_000) as u32),
        Err(_) => Duration::MAX,
    }
}

impl Default for Backoff {
    /// [`Backoff::DEFAULT`]: exponential, base 1s, factor 2.0, max 10s, full jitter.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, BackoffKind};
    ///
    /// assert_eq!(Backoff::default().kind(), BackoffKind::Exponential);
    /// ```
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl IntoIterator for &Backoff {
    type Item = Duration;
    type IntoIter = Delays;

    /// Same as [`Backoff::iter`].
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// let backoff = Backoff::fixed().build()?;
    /// for delay in (&backoff).into_iter().take(3) {
    ///     assert!(delay <= backoff.max());
    /// }
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    fn into_iter(self) -> Delays {
        self.iter()
    }
}
