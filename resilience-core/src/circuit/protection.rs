//! A breaker as a [`Protection`]: what the registry lists for status pages.

use super::{CircuitBreaker, State};
use crate::keyed::Evict;
use crate::registry::{Protection, Status, Value};

impl Protection for CircuitBreaker {
    fn kind(&self) -> &'static str {
        "circuit"
    }

    fn name(&self) -> &str {
        CircuitBreaker::name(self)
    }

    /// `state`, then the [`Stats`](super::Stats) counters (`calls`, `successes`,
    /// `failures`, `rejected`); for a breaker that judges rates, also what its window
    /// holds (`window_calls`, and `failure_rate` / `slow_rate` as shares); then
    /// `in_state` (how long since its last transition, once it made one) and, while
    /// open, `retry_in` (how long until a call may probe: zero once the open period is
    /// over, as an open breaker moves to half-open only when called).
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitBreaker, registry::{Protection, Value}};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// let status = breaker.status();
    /// assert_eq!(status.get("state"), Some(&Value::text("open")));
    /// assert_eq!(status.get("failures"), Some(&Value::Count(1)));
    /// assert!(matches!(status.get("retry_in"), Some(Value::Duration(_))));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    fn status(&self) -> Status {
        let stats = self.stats();
        let state = match self.state() {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
            State::Isolated => "isolated",
        };
        let mut status = Status::new()
            .with("state", Value::text(state))
            .with("calls", Value::Count(stats.calls))
            .with("successes", Value::Count(stats.successes))
            .with("failures", Value::Count(stats.failures))
            .with("rejected", Value::Count(stats.rejected));
        if self.window().is_some() {
            let tally = self.window_tally();
            let share = |n: u32| {
                if tally.calls == 0 {
                    0.0
                } else {
                    f64::from(n) / f64::from(tally.calls)
                }
            };
            status = status.with("window_calls", Value::Count(u64::from(tally.calls)));
            if self.failure_rate().is_some() {
                status = status.with("failure_rate", Value::Ratio(share(tally.failures)));
            }
            if self.slow_rate().is_some() {
                status = status.with("slow_rate", Value::Ratio(share(tally.slow)));
            }
        }
        self.timing_status(status)
    }

    fn registered(&self) {
        // Release pairs with the acquire load in `register`: a thread that sees the
        // flag also finds the breaker in the registry.
        self.hot
            .0
            .registered
            .store(true, crate::sync::Ordering::Release);
    }
}

impl CircuitBreaker {
    /// `in_state` and `retry_in` (see [`Protection::status`]), from the clock read once.
    #[cfg(not(loom))]
    fn timing_status(&self, mut status: Status) -> Status {
        use super::clock;
        use crate::sync::Ordering::{Acquire, Relaxed};
        use core::time::Duration;

        // Acquire pairs with the release CAS of the transition, which follows its
        // `open_until.fetch_max`: a reader that sees the state sees that deadline.
        let state = self.state();
        crate::sync::fence(Acquire);
        let now = clock::now_nanos();
        let changed_at = self.hot.0.changed_at.load(Relaxed);
        if changed_at != 0 {
            let since = Duration::from_nanos(now.saturating_sub(changed_at));
            status = status.with("in_state", Value::Duration(since));
        }
        if state == State::Open {
            let until = self.hot.0.open_until.load(Relaxed);
            let left = Duration::from_nanos(until.saturating_sub(now));
            status = status.with("retry_in", Value::Duration(left));
        }
        status
    }

    #[cfg(loom)]
    fn timing_status(&self, status: Status) -> Status {
        status
    }
}

/// A breaker in a [`Family`](crate::keyed::Family) may be evicted only while closed:
/// forgetting an open (or half-open, or isolated) breaker would let calls through to a
/// service that is down.
///
/// ```
/// use resilience_core::{circuit::CircuitBreaker, keyed::Evict};
///
/// let breaker = CircuitBreaker::builder().threshold(1).build()?;
/// assert!(breaker.may_evict());
/// breaker.try_acquire().unwrap().failure();
/// assert!(!breaker.may_evict());
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
impl Evict for CircuitBreaker {
    fn may_evict(&self) -> bool {
        self.state() == State::Closed
    }
}
