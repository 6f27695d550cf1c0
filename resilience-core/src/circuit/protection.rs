//! A breaker as a [`Protection`]: what the registry lists for status pages.

use super::{CircuitBreaker, State};
use crate::registry::{Protection, Status, Value};

impl Protection for CircuitBreaker {
    fn kind(&self) -> &'static str {
        "circuit"
    }

    fn name(&self) -> &str {
        CircuitBreaker::name(self)
    }

    /// `state`, then the [`Stats`](super::Stats) counters (`calls`, `successes`,
    /// `failures`, `rejected`).
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitBreaker, registry::{Protection, Value}};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// let status = breaker.status();
    /// assert_eq!(status.get("state"), Some(&Value::text("open")));
    /// assert_eq!(status.get("failures"), Some(&Value::Count(1)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    fn status(&self) -> Status {
        let stats = self.stats();
        let state = match self.state() {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        };
        Status::new()
            .with("state", Value::text(state))
            .with("calls", Value::Count(stats.calls))
            .with("successes", Value::Count(stats.successes))
            .with("failures", Value::Count(stats.failures))
            .with("rejected", Value::Count(stats.rejected))
    }

    fn registered(&self) {
        // Release pairs with the acquire load in `register`: a thread that sees the
        // flag also finds the breaker in the registry.
        self.hot
            .0
            .registered
            .store(true, super::sync::Ordering::Release);
    }
}
