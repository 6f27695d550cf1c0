//! The four jitter kinds, and the counter-based random draws behind them.

use core::time::Duration;

/// How each delay is randomised, after AWS's "Exponential Backoff And Jitter".
///
/// `d` is the nominal delay for retry n ([`Backoff::delay`](super::Backoff::delay), already
/// capped at `max`):
///
/// | kind | delay before retry n |
/// |---|---|
/// | [`None`](Jitter::None) | `d` |
/// | [`Full`](Jitter::Full) (default) | uniform in `[0, d]` |
/// | [`Equal`](Jitter::Equal) | `d/2` + uniform in `[0, d/2]` |
/// | [`Decorrelated`](Jitter::Decorrelated) | `min(max, uniform in [base, prev * 3])`, `prev` starting at `base` |
///
/// Every kind yields delays `<= max`.
///
/// ```
/// use resilience_core::backoff::{Backoff, Jitter};
///
/// let backoff = Backoff::exponential().jitter(Jitter::Equal).build()?;
/// assert_eq!(backoff.jitter(), Jitter::Equal);
/// assert_eq!(Jitter::default(), Jitter::Full);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Jitter {
    /// No randomisation: every delay is the nominal one. Predictable, but clients that failed
    /// together retry together.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::exponential().jitter(Jitter::None).build()?;
    /// let first: Vec<_> = backoff.iter().take(3).collect();
    /// assert_eq!(first, [1, 2, 4].map(Duration::from_secs));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    None,
    /// Uniform in `[0, d]`: the least total work and the best spread in AWS's measurements.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    ///
    /// let backoff = Backoff::exponential().jitter(Jitter::Full).build()?;
    /// for (n, delay) in (1..=5).zip(backoff.iter_seeded(7)) {
    ///     assert!(delay <= backoff.delay(n));
    /// }
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[default]
    Full,
    /// `d/2` plus uniform in `[0, d/2]`: never waits less than half the nominal delay.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    ///
    /// let backoff = Backoff::exponential().jitter(Jitter::Equal).build()?;
    /// for (n, delay) in (1..=5).zip(backoff.iter_seeded(7)) {
    ///     assert!(delay >= backoff.delay(n) / 2 && delay <= backoff.delay(n));
    /// }
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    Equal,
    /// `min(max, uniform in [base, prev * 3])` with `prev` the previous delay (first: `base`).
    /// Grows from the previous draw rather than from n, so it ignores the schedule's kind and
    /// factor; only `base` and `max` matter. With `base` zero every delay is zero.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::exponential().jitter(Jitter::Decorrelated).build()?;
    /// let delays: Vec<_> = backoff.iter_seeded(7).take(20).collect();
    /// assert!(delays.iter().all(|d| *d >= backoff.base() && *d <= backoff.max()));
    /// assert!(delays[0] <= Duration::from_secs(3));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    Decorrelated,
}

impl Jitter {
    /// Applies this jitter to the nominal delay `nominal` of retry `n` (n >= 1).
    ///
    /// `random` is called at most once, and not at all for [`Jitter::None`]. `prev` is the
    /// decorrelated state (previous delay in nanoseconds); it is only read for n > 1 and only
    /// written by [`Jitter::Decorrelated`].
    pub(crate) fn apply(
        self,
        n: u32,
        nominal: Duration,
        base: Duration,
        max: Duration,
        random: impl FnOnce() -> u64,
        prev: &mut u64,
    ) -> Duration {
        match self {
            Jitter::None => nominal,
            Jitter::Full => Duration::from_nanos(uniform(0, nanos(nominal), random())),
            Jitter::Equal => {
                let d = nanos(nominal);
                let half = d / 2;
                Duration::from_nanos((d - half) + uniform(0, half, random()))
            }
            Jitter::Decorrelated => {
                let low = nanos(base);
                let last = if n <= 1 { low } else { *prev };
                let high = last.saturating_mul(3).max(low);
                let delay = uniform(low, high, random()).min(nanos(max));
                *prev = delay;
                Duration::from_nanos(delay)
            }
        }
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (about 584 years).
///
/// Jitter works on these integers: exact, no float rounding, no overflow. A delay above 584
/// years is jittered as if it were 584 years, which still keeps it `<= max`.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Maps a uniform `u64` to a uniform integer in `[low, high]` (inclusive; `low <= high`) by
/// fixed-point multiplication (Lemire's method without the rejection step: the bias is below
/// 2^-64 relative, far under a nanosecond for any realistic delay).
fn uniform(low: u64, high: u64, random: u64) -> u64 {
    match (high - low).checked_add(1) {
        // The product is < width * 2^64, so the shifted value is < width and fits in u64.
        Some(width) => low + ((u128::from(width) * u128::from(random)) >> 64) as u64,
        None => random, // [0, u64::MAX]: every u64 is in range.
    }
}

/// The SplitMix64 increment (2^64 / golden ratio).
/// The random `u64` for retry `n` of the schedule seeded with `seed`: the nth output of
/// SplitMix64 (see [`crate::splitmix`] for why an indexed generator).
pub(crate) const fn draw(seed: u64, n: u32) -> u64 {
    crate::splitmix::nth(seed, n as u64)
}

/// The draw for retry `n`, seeding `seed` from [`rand::rng()`] first if `seeded` is false.
///
/// This is the only place the crate touches `rand`: once per unseeded schedule, at its first
/// jittered delay.
pub(crate) fn lazy_draw(n: u32, seed: &mut u64, seeded: &mut bool) -> u64 {
    if !*seeded {
        *seed = rand::Rng::next_u64(&mut rand::rng());
        *seeded = true;
    }
    draw(*seed, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_covers_the_closed_range() {
        assert_eq!(uniform(5, 5, u64::MAX), 5);
        assert_eq!(uniform(0, 10, 0), 0);
        assert_eq!(uniform(0, 10, u64::MAX), 10);
        assert_eq!(uniform(3, 10, u64::MAX / 2), 6);
        assert_eq!(uniform(0, u64::MAX, 42), 42);
        assert_eq!(uniform(1, u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn lazy_draw_seeds_once() {
        let (mut seed, mut seeded) = (0, false);
        let first = lazy_draw(1, &mut seed, &mut seeded);
        assert!(seeded);
        let kept = seed;
        assert_eq!(first, draw(kept, 1));
        assert_eq!(lazy_draw(2, &mut seed, &mut seeded), draw(kept, 2));
        assert_eq!(seed, kept);
    }

    #[test]
    fn nanos_saturates() {
        assert_eq!(nanos(Duration::MAX), u64::MAX);
        assert_eq!(nanos(Duration::from_millis(3)), 3_000_000);
    }
}
