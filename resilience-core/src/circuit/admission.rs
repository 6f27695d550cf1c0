//! Admitting a call: the closed breaker's fast path, the slow path that moves an open
//! breaker to half-open and counts its probes, and the rejection.

use core::time::Duration;

use super::permit::{self, Permit};
use super::state::Word;
use super::{CircuitBreaker, CircuitOpen, Reason, State, clock};
use crate::sync::{Ordering, fence};

impl CircuitBreaker {
    /// Asks to make one call.
    ///
    /// - Closed: always admitted.
    /// - Open: if the recovery period has elapsed, the breaker moves to half-open and
    ///   this call is admitted as its first probe; otherwise it is rejected with a
    ///   [`CircuitOpen`] saying how long is left.
    /// - Half-open: admitted as a probe while fewer than [`probes`](Self::probes) are
    ///   in flight; otherwise rejected with a [`CircuitOpen`] whose `retry_in` is zero.
    ///
    /// Rejections count in [`Stats::rejected`](super::Stats::rejected). An admitted call reports its outcome by
    /// consuming the [`Permit`].
    ///
    /// # Errors
    ///
    /// [`CircuitOpen`] when the call is refused, as above.
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// match breaker.try_acquire() {
    ///     Ok(permit) => permit.failure(), // the call failed
    ///     Err(open) => unreachable!("{open}"),
    /// }
    /// let err = breaker.try_acquire().unwrap_err();
    /// assert!(err.retry_in() <= breaker.recovery()); // the rest of the 30s
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        let word = self.load();
        if word.state() == State::Closed {
            return Ok(Permit::new(self, word.generation(), false, self.started()));
        }
        self.acquire_slow(word)
    }

    /// [`try_acquire`](Self::try_acquire) for the pipeline's layer: the ticket and the
    /// start instant, without a [`Permit`] to take apart.
    #[inline(always)]
    pub(in crate::circuit) fn admit(&self) -> Result<(permit::Ticket, u64), CircuitOpen> {
        let word = self.load();
        if word.state() == State::Closed {
            return Ok((permit::Ticket::closed(word.generation()), self.started()));
        }
        self.acquire_slow(word).map(Permit::into_ticket)
    }

    /// When the call admitted now started, for a breaker that times calls; 0 otherwise
    /// (no clock read).
    #[inline]
    fn started(&self) -> u64 {
        if self.hot.0.config.slow_nanos == 0 {
            0
        } else {
            clock::now_nanos()
        }
    }

    /// Admission when the breaker was not closed at the first look.
    #[inline(never)]
    fn acquire_slow(&self, mut word: Word) -> Result<Permit<'_>, CircuitOpen> {
        let config = &self.hot.0.config;
        let mut now = None;
        loop {
            let next = match word.state() {
                State::Closed => {
                    return Ok(Permit::new(self, word.generation(), false, self.started()));
                }
                State::Isolated => {
                    return Err(self.reject(CircuitOpen::isolated(self.hot.0.config.name)));
                }
                State::Open => {
                    // Pairs with the release CAS that opened the breaker, after its
                    // `open_until.fetch_max`: we see that deadline or a later one.
                    fence(Ordering::Acquire);
                    let until = self.hot.0.open_until.load(Ordering::Relaxed);
                    let now = *now.get_or_insert_with(clock::now_nanos);
                    if now < until {
                        let retry_in = Duration::from_nanos(until - now);
                        return Err(
                            self.reject(CircuitOpen::open(self.hot.0.config.name, retry_in))
                        );
                    }
                    Word::half_open(word.next_generation(), word.reopens(), 1, 0)
                }
                State::HalfOpen => {
                    if word.in_flight() >= config.probes {
                        return Err(self.reject(CircuitOpen::probe_limit(self.hot.0.config.name)));
                    }
                    Word::half_open(
                        word.generation(),
                        word.reopens(),
                        word.in_flight() + 1,
                        word.successes(),
                    )
                }
            };
            match self.cas(word, next) {
                Ok(()) => {
                    if word.state() != next.state() {
                        self.transitioned(word.state(), next.state(), Reason::RecoveryElapsed);
                    }
                    return Ok(Permit::new(self, next.generation(), true, self.started()));
                }
                Err(actual) => word = actual,
            }
        }
    }

    fn reject(&self, err: CircuitOpen) -> CircuitOpen {
        self.counters
            .0
            .stats
            .rejected
            .fetch_add(1, Ordering::Relaxed);
        #[cfg(feature = "metrics")]
        crate::metrics::event("circuit", "circuit_rejected", err.name());
        tracing::debug!(
            target: "resilience",
            name = self.name(),
            state = %err.state(),
            retry_in = ?err.retry_in(),
            "circuit breaker rejected a call"
        );
        err
    }
}
