//! What [`RetryState::on_error`](super::RetryState::on_error) decides.

use core::fmt;
use core::time::Duration;

/// The answer to "the attempt just failed: now what?".
///
/// ```
/// use resilience_core::retry::{GiveUp, RetryDecision, RetryPolicy, RetryState};
///
/// let policy = RetryPolicy::builder().attempts(1).build()?;
/// let mut state = RetryState::new(&policy);
/// state.start_attempt();
/// let decision = state.on_error(&"boom", true, None);
/// assert_eq!(decision, RetryDecision::GiveUp(GiveUp::Exhausted));
/// assert!(!decision.is_retry());
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryDecision {
    /// Wait `delay`, then start the next attempt.
    ///
    /// ```
    /// use resilience_core::retry::{RetryDecision, RetryPolicy, RetryState};
    /// use resilience_core::backoff::{Backoff, Jitter};
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::exponential().jitter(Jitter::None).build()?;
    /// let policy = RetryPolicy::builder().backoff(backoff).build()?;
    /// let mut state = RetryState::new(&policy);
    /// state.start_attempt();
    /// assert_eq!(
    ///     state.on_error(&"boom", true, None),
    ///     RetryDecision::Retry { delay: Duration::from_secs(1) },
    /// );
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    Retry {
        /// How long to wait before the next attempt.
        delay: Duration,
    },
    /// Stop, and return the error of the attempt that just failed.
    ///
    /// ```
    /// use resilience_core::retry::{GiveUp, RetryDecision, RetryPolicy, RetryState};
    ///
    /// let mut state = RetryState::new(&RetryPolicy::DEFAULT);
    /// state.start_attempt();
    /// assert_eq!(
    ///     state.on_error(&"bad request", false, None),
    ///     RetryDecision::GiveUp(GiveUp::NotRetryable),
    /// );
    /// ```
    GiveUp(GiveUp),
}

impl RetryDecision {
    /// Whether another attempt follows.
    ///
    /// ```
    /// use resilience_core::retry::{GiveUp, RetryDecision};
    /// use std::time::Duration;
    ///
    /// assert!(RetryDecision::Retry { delay: Duration::ZERO }.is_retry());
    /// assert!(!RetryDecision::GiveUp(GiveUp::Exhausted).is_retry());
    /// ```
    pub const fn is_retry(&self) -> bool {
        matches!(self, Self::Retry { .. })
    }
}

/// Why retrying stopped.
///
/// ```
/// use resilience_core::retry::GiveUp;
///
/// assert_eq!(GiveUp::Exhausted.to_string(), "attempts exhausted");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GiveUp {
    /// The classifier (`on` / `when`) did not accept the error.
    ///
    /// ```
    /// assert_eq!(resilience_core::retry::GiveUp::NotRetryable.as_str(), "error is not retryable");
    /// ```
    NotRetryable,
    /// The last allowed attempt failed.
    ///
    /// ```
    /// assert_eq!(resilience_core::retry::GiveUp::Exhausted.as_str(), "attempts exhausted");
    /// ```
    Exhausted,
    /// The next delay would end later than `max_elapsed` after the first attempt started.
    ///
    /// ```
    /// assert_eq!(resilience_core::retry::GiveUp::MaxElapsed.as_str(), "max_elapsed would be exceeded");
    /// ```
    MaxElapsed,
    /// The server asked for a delay (`retry_after`) longer than the backoff's `max`.
    ///
    /// ```
    /// assert_eq!(
    ///     resilience_core::retry::GiveUp::ServerDelayTooLong.as_str(),
    ///     "server delay exceeds max",
    /// );
    /// ```
    ServerDelayTooLong,
    /// The retry budget had nothing left for another retry (see
    /// [`RetryBudget`](super::RetryBudget)).
    ///
    /// ```
    /// assert_eq!(
    ///     resilience_core::retry::GiveUp::BudgetExhausted.as_str(),
    ///     "retry budget exhausted",
    /// );
    /// ```
    BudgetExhausted,
}

impl GiveUp {
    /// A short lowercase phrase, as used in the "giving up" event's `reason` field.
    ///
    /// ```
    /// use resilience_core::retry::GiveUp;
    ///
    /// assert_eq!(GiveUp::MaxElapsed.as_str(), GiveUp::MaxElapsed.to_string());
    /// ```
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::NotRetryable => "error is not retryable",
            Self::Exhausted => "attempts exhausted",
            Self::MaxElapsed => "max_elapsed would be exceeded",
            Self::ServerDelayTooLong => "server delay exceeds max",
            Self::BudgetExhausted => "retry budget exhausted",
        }
    }
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
