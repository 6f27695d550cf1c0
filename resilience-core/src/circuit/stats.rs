//! Call counters: what a dashboard or a test reads with
//! [`CircuitBreaker::stats`](super::CircuitBreaker::stats).
//!
//! Each outcome bumps exactly one counter, and `calls` is their sum rather than a
//! counter of its own: a successful call then costs one shared-memory increment, not
//! two. The price is that a call is counted when it ends (with an outcome, cancelled,
//! or rejected), not when it starts.

use crate::sync::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a breaker's call counters since it was created.
///
/// `calls` = `successes` + `failures` + `rejected` + calls that counted as neither
/// (an error the breaker was told to ignore, or a call cancelled before it finished).
/// A call is counted once it has finished; one still in flight is not counted yet. The
/// fields are read one after another without a lock, so under concurrent traffic the
/// snapshot may mix counts from a few nanoseconds apart, but `calls` always equals the
/// sum of the others plus [`ignored`](Stats::ignored).
///
/// ```
/// use resilience_core::circuit::{CircuitBreaker, Stats};
///
/// let breaker = CircuitBreaker::builder().threshold(1).build()?;
/// breaker.try_acquire().unwrap().success();
/// breaker.try_acquire().unwrap().failure(); // opens the breaker
/// assert!(breaker.try_acquire().is_err());
/// assert_eq!(
///     breaker.stats(),
///     Stats { calls: 3, successes: 1, failures: 1, rejected: 1 }
/// );
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every finished invocation: admitted or rejected, whatever its outcome.
    pub calls: u64,
    /// Calls admitted that reported success.
    pub successes: u64,
    /// Calls admitted that reported a counted failure, or panicked.
    pub failures: u64,
    /// Calls refused with [`CircuitOpen`](super::CircuitOpen): while open, or over the
    /// half-open probe limit.
    pub rejected: u64,
}

impl Stats {
    /// Calls that counted as neither success nor failure: ignored errors and cancelled
    /// calls (`calls - successes - failures - rejected`).
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().build()?;
    /// breaker.try_acquire().unwrap().ignore();
    /// drop(breaker.try_acquire().unwrap()); // cancelled
    /// assert_eq!(breaker.stats().ignored(), 2);
    /// assert_eq!(breaker.stats().calls, 2);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn ignored(&self) -> u64 {
        self.calls
            .saturating_sub(self.successes)
            .saturating_sub(self.failures)
            .saturating_sub(self.rejected)
    }
}

/// The live counters behind [`Stats`].
#[derive(Debug)]
pub(crate) struct Counters {
    pub(crate) successes: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) neither: AtomicU64,
}

impl Counters {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            neither: AtomicU64::new(0),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            neither: AtomicU64::new(0),
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let successes = self.successes.load(Relaxed);
        let failures = self.failures.load(Relaxed);
        let rejected = self.rejected.load(Relaxed);
        let neither = self.neither.load(Relaxed);
        Stats {
            calls: successes
                .wrapping_add(failures)
                .wrapping_add(rejected)
                .wrapping_add(neither),
            successes,
            failures,
            rejected,
        }
    }
}
