//! `Delays`: a backoff's jittered schedule as an infinite iterator.

use core::iter::FusedIterator;
use core::time::Duration;

use super::Backoff;
use super::jitter::lazy_draw;

/// The jittered schedule of a [`Backoff`]: the nth item is the delay before retry n.
///
/// Infinite: bound it with [`Iterator::take`] (or let a [`RetryPolicy`] count attempts).
/// It touches no random number generator until the first jittered item is asked for, and
/// none at all with [`Jitter::None`](super::Jitter::None). After `u32::MAX` items it keeps
/// yielding the delay of retry `u32::MAX`.
///
/// [`RetryPolicy`]: crate::retry::RetryPolicy
///
/// ```
/// use resilience_core::backoff::{Backoff, Jitter};
/// use std::time::Duration;
///
/// let backoff = Backoff::linear().jitter(Jitter::None).build()?;
/// let delays: Vec<Duration> = backoff.iter().take(4).collect();
/// assert_eq!(delays, [1, 2, 3, 4].map(Duration::from_secs));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Delays {
    backoff: Backoff,
    /// Retries yielded so far.
    n: u32,
    /// SplitMix64 seed; meaningful once `seeded`.
    seed: u64,
    /// Previous delay in nanoseconds (decorrelated jitter only).
    prev: u64,
    seeded: bool,
}

impl Delays {
    pub(super) const fn new(backoff: Backoff, seed: Option<u64>) -> Self {
        let (seed, seeded) = match seed {
            Some(seed) => (seed, true),
            None => (0, false),
        };
        Self {
            backoff,
            n: 0,
            seed,
            prev: 0,
            seeded,
        }
    }

    /// The backoff this schedule follows.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    ///
    /// let backoff = Backoff::fixed().build()?;
    /// assert_eq!(*backoff.iter().backoff(), backoff);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }
}

impl Iterator for Delays {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.n = self.n.saturating_add(1);
        let n = self.n;
        let (seed, seeded) = (&mut self.seed, &mut self.seeded);
        Some(
            self.backoff
                .jittered(n, || lazy_draw(n, seed, seeded), &mut self.prev),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

impl FusedIterator for Delays {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::Jitter;

    #[test]
    fn unseeded_touches_no_rng_until_next() {
        let mut delays = Backoff::DEFAULT.iter();
        assert!(!delays.seeded);
        delays.next();
        assert!(delays.seeded);
    }

    #[test]
    fn no_jitter_never_seeds() {
        let backoff = Backoff::exponential().jitter(Jitter::None).build().unwrap();
        let mut delays = backoff.iter();
        for _ in 0..10 {
            delays.next();
        }
        assert!(!delays.seeded);
    }
}
