//! `RetryState`: the per-call state machine the pipeline driver and [`Retry`](super::Retry)
//! step through.

use core::fmt;
use core::time::Duration;

use tokio::time::Instant;

use super::{Budget, GiveUp, NoBudget, Price, RetryDecision, RetryPolicy};
use crate::backoff::{Jitter, lazy_draw};

/// Per-call retry state: which attempt is running, when the first one started (only with
/// `max_elapsed`), and the jitter generator (a seed, drawn at the first retry).
///
/// It lives inside the caller's future, so it is small (48 bytes on 64-bit targets) and
/// creating it costs nothing: no clock read, no random number, no allocation.
///
/// Protocol: call [`start_attempt`](Self::start_attempt) right before each attempt, and
/// [`on_error`](Self::on_error) when it fails; on success just stop.
///
/// ```
/// use resilience_core::backoff::{Backoff, Jitter};
/// use resilience_core::retry::{GiveUp, RetryDecision, RetryPolicy, RetryState};
/// use std::time::Duration;
///
/// let backoff = Backoff::exponential().jitter(Jitter::None).build()?;
/// let policy = RetryPolicy::builder().attempts(3).backoff(backoff).build()?;
/// let mut state = RetryState::new(&policy);
///
/// state.start_attempt();
/// let d1 = state.on_error(&"503", true, None);
/// assert_eq!(d1, RetryDecision::Retry { delay: Duration::from_secs(1) });
/// state.start_attempt();
/// let d2 = state.on_error(&"503", true, None);
/// assert_eq!(d2, RetryDecision::Retry { delay: Duration::from_secs(2) });
/// state.start_attempt();
/// assert_eq!(state.attempt(), 3);
/// let d3 = state.on_error(&"503", true, None);
/// assert_eq!(d3, RetryDecision::GiveUp(GiveUp::Exhausted));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct RetryState<'p> {
    policy: &'p RetryPolicy,
    /// When the first attempt started; recorded only if the policy has `max_elapsed`.
    started: Option<Instant>,
    /// SplitMix64 seed of the jitter; meaningful once `seeded`.
    seed: u64,
    /// Previous delay in nanoseconds (decorrelated jitter only).
    prev: u64,
    /// 1-based number of the attempt started last; 0 before the first.
    attempt: u32,
    seeded: bool,
}

impl<'p> RetryState<'p> {
    /// Fresh state for one call under `policy`. Reads no clock and draws nothing.
    ///
    /// ```
    /// use resilience_core::retry::{RetryPolicy, RetryState};
    ///
    /// let state = RetryState::new(&RetryPolicy::DEFAULT);
    /// assert_eq!(state.attempt(), 0);
    /// ```
    pub const fn new(policy: &'p RetryPolicy) -> Self {
        let (seed, seeded) = match policy.seed() {
            Some(seed) => (seed, true),
            None => (0, false),
        };
        Self {
            policy,
            started: None,
            seed,
            prev: 0,
            attempt: 0,
            seeded,
        }
    }

    /// The policy this state follows.
    ///
    /// ```
    /// use resilience_core::retry::{RetryPolicy, RetryState};
    ///
    /// let policy = RetryPolicy::DEFAULT;
    /// assert_eq!(RetryState::new(&policy).policy().attempts(), 3);
    /// ```
    pub const fn policy(&self) -> &'p RetryPolicy {
        self.policy
    }

    /// Call right before each attempt starts. Reads [`Instant::now()`] only on the first
    /// attempt and only if the policy has `max_elapsed`.
    ///
    /// ```
    /// use resilience_core::retry::{RetryPolicy, RetryState};
    ///
    /// let mut state = RetryState::new(&RetryPolicy::DEFAULT);
    /// state.start_attempt();
    /// state.start_attempt();
    /// assert_eq!(state.attempt(), 2);
    /// ```
    pub fn start_attempt(&mut self) {
        if self.attempt == 0 && self.policy.max_elapsed().is_some() {
            self.started = Some(Instant::now());
        }
        self.attempt = self.attempt.saturating_add(1);
    }

    /// 1-based number of the attempt started last (0 before the first).
    ///
    /// ```
    /// use resilience_core::retry::{RetryPolicy, RetryState};
    ///
    /// let mut state = RetryState::new(&RetryPolicy::DEFAULT);
    /// state.start_attempt();
    /// assert_eq!(state.attempt(), 1);
    /// ```
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The attempt just failed: retry (after how long) or give up?
    ///
    /// - `retryable`: whether the `on` / `when` classifier accepted the error; if not, give up
    ///   with [`GiveUp::NotRetryable`].
    /// - After the last allowed attempt: [`GiveUp::Exhausted`].
    /// - `server_delay`: what `retry_after` returned. It replaces this one backoff delay; the
    ///   schedule still advances, so the delay before retry n depends on n alone. Longer than
    ///   the backoff's `max`: [`GiveUp::ServerDelayTooLong`] at once.
    /// - A delay that would end later than `max_elapsed` after the first attempt started is not
    ///   taken: [`GiveUp::MaxElapsed`] (a delay ending exactly at the bound is taken).
    ///
    /// Emits a `tracing` event with target `resilience`: "retry scheduled" at INFO (fields
    /// `attempt`, `delay`, `delay_ms`, `server_delay`, `error`), or "giving up" (fields `attempt`, `reason`,
    /// `error`) at WARN, or DEBUG when the error was simply not retryable.
    ///
    /// ```
    /// use resilience_core::retry::{GiveUp, RetryDecision, RetryPolicy, RetryState};
    /// use std::time::Duration;
    ///
    /// let policy = RetryPolicy::DEFAULT; // max 10s
    /// let mut state = RetryState::new(&policy);
    /// state.start_attempt();
    /// let asked = Some(Duration::from_secs(3)); // 429 with Retry-After: 3
    /// assert_eq!(
    ///     state.on_error(&"429", true, asked),
    ///     RetryDecision::Retry { delay: Duration::from_secs(3) },
    /// );
    /// state.start_attempt();
    /// let asked = Some(Duration::from_secs(60));
    /// assert_eq!(
    ///     state.on_error(&"429", true, asked),
    ///     RetryDecision::GiveUp(GiveUp::ServerDelayTooLong),
    /// );
    /// ```
    pub fn on_error(
        &mut self,
        error: &dyn fmt::Debug,
        retryable: bool,
        server_delay: Option<Duration>,
    ) -> RetryDecision {
        self.on_error_within(error, retryable, server_delay, &NoBudget)
    }

    /// [`on_error`](Self::on_error), with a retry that the policy allows paid for by
    /// `budget`: at [`Price::Throttled`] when `server_delay` set its delay, else at
    /// [`Price::Retry`]. When the budget cannot pay, the answer is
    /// [`GiveUp::BudgetExhausted`] and the event is "retry budget exhausted" (WARN,
    /// fields `attempt`, `budget`, `error`) instead of "retry scheduled".
    ///
    /// ```
    /// use resilience_core::retry::{GiveUp, RetryBudget, RetryDecision, RetryPolicy, RetryState};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let budget = RetryBudget::builder().floor(0.1).build()?; // one retry per 10 s
    /// let policy = RetryPolicy::DEFAULT;
    /// let mut state = RetryState::new(&policy);
    /// state.start_attempt();
    /// assert!(state.on_error_within(&"503", true, None, &&budget).is_retry());
    /// state.start_attempt();
    /// assert_eq!(
    ///     state.on_error_within(&"503", true, None, &&budget),
    ///     RetryDecision::GiveUp(GiveUp::BudgetExhausted),
    /// );
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn on_error_within<B: Budget + ?Sized>(
        &mut self,
        error: &dyn fmt::Debug,
        retryable: bool,
        server_delay: Option<Duration>,
        budget: &B,
    ) -> RetryDecision {
        let attempt = self.attempt.max(1);
        let mut decision = self.decide(attempt, retryable, server_delay);
        if decision.is_retry() {
            let price = match server_delay {
                Some(_) => Price::Throttled,
                None => Price::Retry,
            };
            if !budget.try_withdraw(price) {
                decision = RetryDecision::GiveUp(GiveUp::BudgetExhausted);
            }
        }
        #[cfg(feature = "metrics")]
        crate::metrics::event(
            "retry",
            match decision {
                RetryDecision::Retry { .. } => "retry",
                RetryDecision::GiveUp(GiveUp::BudgetExhausted) => "budget_exhausted",
                RetryDecision::GiveUp(_) => "give_up",
            },
            "retry",
        );
        match decision {
            RetryDecision::Retry { delay } => tracing::info!(
                target: "resilience",
                attempt,
                delay = ?delay,
                // The same delay as a number, so subscribers need not parse `Debug` text.
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                server_delay = server_delay.is_some(),
                error = ?error,
                "retry scheduled",
            ),
            RetryDecision::GiveUp(GiveUp::NotRetryable) => tracing::debug!(
                target: "resilience",
                attempt,
                reason = GiveUp::NotRetryable.as_str(),
                error = ?error,
                "giving up",
            ),
            RetryDecision::GiveUp(GiveUp::BudgetExhausted) => tracing::warn!(
                target: "resilience",
                attempt,
                budget = budget.name(),
                error = ?error,
                "retry budget exhausted",
            ),
            RetryDecision::GiveUp(reason) => tracing::warn!(
                target: "resilience",
                attempt,
                reason = reason.as_str(),
                error = ?error,
                "giving up",
            ),
        }
        decision
    }

    fn decide(
        &mut self,
        attempt: u32,
        retryable: bool,
        server_delay: Option<Duration>,
    ) -> RetryDecision {
        if !retryable {
            return RetryDecision::GiveUp(GiveUp::NotRetryable);
        }
        if attempt >= self.policy.attempts() {
            return RetryDecision::GiveUp(GiveUp::Exhausted);
        }
        let backoff = self.policy.backoff();
        let delay = match server_delay {
            Some(asked) if asked > backoff.max() => {
                return RetryDecision::GiveUp(GiveUp::ServerDelayTooLong);
            }
            Some(asked) => {
                // Advance the schedule: decorrelated jitter carries the previous delay. The
                // other kinds draw by retry number, so skipping their draw shifts nothing.
                if backoff.jitter() == Jitter::Decorrelated {
                    self.backoff_delay(attempt);
                }
                asked
            }
            None => self.backoff_delay(attempt),
        };
        if let Some(limit) = self.policy.max_elapsed() {
            let now = Instant::now();
            // `started` is only missing if `on_error` came without `start_attempt`.
            let started = *self.started.get_or_insert(now);
            let ends = now.saturating_duration_since(started).saturating_add(delay);
            if ends > limit {
                return RetryDecision::GiveUp(GiveUp::MaxElapsed);
            }
        }
        RetryDecision::Retry { delay }
    }

    /// The jittered backoff delay before retry `n`.
    fn backoff_delay(&mut self, n: u32) -> Duration {
        let (seed, seeded) = (&mut self.seed, &mut self.seeded);
        self.policy
            .backoff()
            .jittered(n, || lazy_draw(n, seed, seeded), &mut self.prev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_is_at_most_48_bytes() {
        assert!(size_of::<RetryState<'static>>() <= 48);
    }

    #[test]
    fn first_attempt_touches_neither_clock_nor_rng() {
        let policy = RetryPolicy::DEFAULT;
        let mut state = RetryState::new(&policy);
        state.start_attempt();
        assert!(state.started.is_none());
        assert!(!state.seeded);
    }

    #[test]
    fn giving_up_draws_nothing() {
        let policy = RetryPolicy::builder().attempts(1).build().unwrap();
        let mut state = RetryState::new(&policy);
        state.start_attempt();
        assert!(!state.on_error(&"x", true, None).is_retry());
        assert!(!state.seeded);
        let mut state = RetryState::new(&RetryPolicy::DEFAULT);
        state.start_attempt();
        assert!(!state.on_error(&"x", false, None).is_retry());
        assert!(!state.seeded);
    }

    #[test]
    fn server_delay_skips_the_draw_for_counter_based_jitter() {
        let mut state = RetryState::new(&RetryPolicy::DEFAULT);
        state.start_attempt();
        let decision = state.on_error(&"429", true, Some(Duration::from_secs(2)));
        assert_eq!(
            decision,
            RetryDecision::Retry {
                delay: Duration::from_secs(2)
            }
        );
        assert!(!state.seeded);
        state.start_attempt();
        assert!(state.on_error(&"503", true, None).is_retry());
        assert!(state.seeded);
    }

    #[test]
    fn start_is_recorded_only_with_max_elapsed() {
        let policy = RetryPolicy::builder()
            .max_elapsed(Duration::from_secs(1))
            .build()
            .unwrap();
        let mut state = RetryState::new(&policy);
        state.start_attempt();
        let first = state.started;
        assert!(first.is_some());
        state.start_attempt();
        assert_eq!(state.started, first);
    }
}
