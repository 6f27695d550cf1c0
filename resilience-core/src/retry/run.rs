//! `Retry`: running an operation under a policy without the macros, async or blocking.

use core::fmt;
use core::future::Future;
use core::time::Duration;

use super::{RetryDecision, RetryPolicy, RetryState};

/// Decides whether an error is worth another attempt (the `when` of `#[retry]`).
///
/// Implemented for every `FnMut(&E) -> bool`, and by [`AnyError`] (the default).
///
/// ```
/// use resilience_core::retry::{AnyError, Classify};
///
/// let mut only_5xx = |status: &u16| *status >= 500;
/// assert!(only_5xx.is_retryable(&503));
/// assert!(!only_5xx.is_retryable(&400));
/// assert!(Classify::<u16>::is_retryable(&mut AnyError, &400));
/// ```
pub trait Classify<E> {
    /// `true` to retry after `error`.
    ///
    /// ```
    /// use resilience_core::retry::Classify;
    ///
    /// let mut never = |_: &String| false;
    /// assert!(!never.is_retryable(&"boom".to_string()));
    /// ```
    fn is_retryable(&mut self, error: &E) -> bool;
}

impl<E, F: FnMut(&E) -> bool> Classify<E> for F {
    fn is_retryable(&mut self, error: &E) -> bool {
        self(error)
    }
}

/// The default classifier: every error is retried.
///
/// ```
/// use resilience_core::retry::{AnyError, Classify};
///
/// assert!(Classify::<&str>::is_retryable(&mut AnyError, &"anything"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnyError;

impl<E> Classify<E> for AnyError {
    fn is_retryable(&mut self, _: &E) -> bool {
        true
    }
}

/// Reads a delay the server asked for out of an error, e.g. a 429's `Retry-After` (the
/// `retry_after` of `#[retry]`).
///
/// Implemented for every `FnMut(&E) -> Option<Duration>`, and by [`NoRetryAfter`] (the
/// default).
///
/// ```
/// use resilience_core::retry::RetryAfter;
/// use std::time::Duration;
///
/// let mut header = |e: &(u16, u64)| (e.0 == 429).then(|| Duration::from_secs(e.1));
/// assert_eq!(header.retry_after(&(429, 3)), Some(Duration::from_secs(3)));
/// assert_eq!(header.retry_after(&(503, 3)), None);
/// ```
pub trait RetryAfter<E> {
    /// The delay the server asked for before the next attempt, if any.
    ///
    /// ```
    /// use resilience_core::retry::RetryAfter;
    /// use std::time::Duration;
    ///
    /// let mut always_one = |_: &()| Some(Duration::from_secs(1));
    /// assert_eq!(always_one.retry_after(&()), Some(Duration::from_secs(1)));
    /// ```
    fn retry_after(&mut self, error: &E) -> Option<Duration>;
}

impl<E, F: FnMut(&E) -> Option<Duration>> RetryAfter<E> for F {
    fn retry_after(&mut self, error: &E) -> Option<Duration> {
        self(error)
    }
}

/// The default: no error carries a server delay, the backoff decides every wait.
///
/// ```
/// use resilience_core::retry::{NoRetryAfter, RetryAfter};
///
/// assert_eq!(RetryAfter::<u16>::retry_after(&mut NoRetryAfter, &429), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoRetryAfter;

impl<E> RetryAfter<E> for NoRetryAfter {
    fn retry_after(&mut self, _: &E) -> Option<Duration> {
        None
    }
}

/// Runs an operation under a [`RetryPolicy`], without the attribute macros.
///
/// [`run`](Self::run) calls an async operation, sleeping on tokio's timer between attempts;
/// [`run_blocking`](Self::run_blocking) calls a blocking one with [`std::thread::sleep`].
/// Either returns the first `Ok`, or the last error unchanged. Optional:
/// [`when`](Self::when) (which errors to retry; default all) and
/// [`retry_after`](Self::retry_after) (a server-given delay).
///
/// The operation is an `FnMut` called once per attempt. It cannot lend its captures to the
/// future it returns, so share state through references to `Cell`s/atomics or clone per call.
///
/// ```
/// use resilience_core::retry::{Retry, RetryPolicy};
/// use std::cell::Cell;
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Network, BadRequest }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), resilience_core::ConfigError> {
/// let policy = RetryPolicy::builder().attempts(4).build()?;
/// let calls = Cell::new(0);
/// let answer = Retry::new(&policy)
///     .when(|e: &ApiError| *e == ApiError::Network)
///     .run(|| async {
///         calls.set(calls.get() + 1);
///         if calls.get() < 3 { Err(ApiError::Network) } else { Ok("42") }
///     })
///     .await;
/// assert_eq!(answer, Ok("42"));
/// assert_eq!(calls.get(), 3);
///
/// let not_retried = Retry::new(&policy)
///     .when(|e: &ApiError| *e == ApiError::Network)
///     .run(|| async { Err::<(), _>(ApiError::BadRequest) })
///     .await;
/// assert_eq!(not_retried, Err(ApiError::BadRequest));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "`Retry` does nothing until `run` or `run_blocking` is called"]
pub struct Retry<'p, C = AnyError, A = NoRetryAfter> {
    policy: &'p RetryPolicy,
    classify: C,
    retry_after: A,
}

// ===== impl Retry =====

impl<'p> Retry<'p> {
    /// Retries every error under `policy`, with no server delays.
    ///
    /// ```
    /// use resilience_core::retry::{Retry, RetryPolicy};
    ///
    /// let policy = RetryPolicy::builder().attempts(2).build()?;
    /// let result: Result<u8, &str> = Retry::new(&policy).run_blocking(|| Ok(7));
    /// assert_eq!(result, Ok(7));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new(policy: &'p RetryPolicy) -> Self {
        Self {
            policy,
            classify: AnyError,
            retry_after: NoRetryAfter,
        }
    }
}

impl<'p, C, A> Retry<'p, C, A> {
    /// The policy in use.
    ///
    /// ```
    /// use resilience_core::retry::{Retry, RetryPolicy};
    ///
    /// let policy = RetryPolicy::DEFAULT;
    /// assert_eq!(Retry::new(&policy).policy().attempts(), 3);
    /// ```
    pub const fn policy(&self) -> &'p RetryPolicy {
        self.policy
    }

    /// Retries only the errors for which `classify` returns `true`; any other error is
    /// returned at once. Closures usually need their argument type written: `|e: &MyError|`.
    ///
    /// ```
    /// use resilience_core::retry::{Retry, RetryPolicy};
    /// use std::cell::Cell;
    ///
    /// let calls = Cell::new(0);
    /// let result: Result<(), u16> = Retry::new(&RetryPolicy::DEFAULT)
    ///     .when(|status: &u16| *status >= 500)
    ///     .run_blocking(|| { calls.set(calls.get() + 1); Err(404) });
    /// assert_eq!((result, calls.get()), (Err(404), 1));
    /// ```
    pub fn when<C2>(self, classify: C2) -> Retry<'p, C2, A> {
        Retry {
            policy: self.policy,
            classify,
            retry_after: self.retry_after,
        }
    }

    /// Lets the error name the delay before the next attempt (e.g. a 429's `Retry-After`).
    /// It replaces that one backoff delay; the schedule still advances. A delay longer than the
    /// backoff's `max` stops retrying at once and returns that error.
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use resilience_core::retry::{Retry, RetryPolicy};
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::fixed().base(Duration::ZERO).max(Duration::from_millis(1)).build()?;
    /// let policy = RetryPolicy::builder().attempts(5).backoff(backoff).build()?;
    /// let mut calls = 0;
    /// let result: Result<(), u64> = Retry::new(&policy)
    ///     .retry_after(|wait_ms: &u64| Some(Duration::from_millis(*wait_ms)))
    ///     .run_blocking(|| { calls += 1; Err(60_000) }); // "come back in a minute"
    /// assert_eq!((result, calls), (Err(60_000), 1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn retry_after<A2>(self, retry_after: A2) -> Retry<'p, C, A2> {
        Retry {
            policy: self.policy,
            classify: self.classify,
            retry_after,
        }
    }

    /// Asks the classifier and the server delay what to do after `error`.
    fn decide<E: fmt::Debug>(&mut self, state: &mut RetryState<'_>, error: &E) -> RetryDecision
    where
        C: Classify<E>,
        A: RetryAfter<E>,
    {
        let retryable = self.classify.is_retryable(error);
        let server_delay = if retryable {
            self.retry_after.retry_after(error)
        } else {
            None
        };
        state.on_error(error, retryable, server_delay)
    }

    /// Runs the async `operation` until it succeeds or the policy gives up, sleeping on
    /// tokio's timer between attempts (needs a tokio runtime with the time driver). Returns the
    /// first `Ok`, or the last error unchanged.
    ///
    /// A first-attempt success builds no timer, reads no clock, draws no random number.
    ///
    /// ```
    /// use resilience_core::backoff::{Backoff, Jitter};
    /// use resilience_core::retry::{Retry, RetryPolicy};
    /// use std::cell::Cell;
    /// use tokio::time::{Duration, Instant};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() -> Result<(), resilience_core::ConfigError> {
    /// let backoff = Backoff::exponential().jitter(Jitter::None).build()?;
    /// let policy = RetryPolicy::builder().attempts(4).backoff(backoff).build()?;
    /// let start = Instant::now();
    /// let calls = Cell::new(0);
    /// let result = Retry::new(&policy)
    ///     .run(|| async {
    ///         calls.set(calls.get() + 1);
    ///         Err::<(), _>(format!("failure {}", calls.get()))
    ///     })
    ///     .await;
    /// assert_eq!(result, Err("failure 4".to_string())); // 4 attempts = 4 calls
    /// assert_eq!(start.elapsed(), Duration::from_secs(1 + 2 + 4));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn run<T, E, F, Fut>(mut self, mut operation: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Debug,
        C: Classify<E>,
        A: RetryAfter<E>,
    {
        let mut state = RetryState::new(self.policy);
        loop {
            state.start_attempt();
            let error = match operation().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            match self.decide(&mut state, &error) {
                RetryDecision::Retry { delay } => {
                    drop(error);
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                }
                RetryDecision::GiveUp(_) => return Err(error),
            }
        }
    }

    /// Runs the blocking `operation` until it succeeds or the policy gives up, sleeping with
    /// [`std::thread::sleep`] between attempts. Returns the first `Ok`, or the last error
    /// unchanged.
    ///
    /// `max_elapsed` is measured on tokio's clock, which outside a runtime is the system's
    /// monotonic clock. (Under a *paused* tokio clock, thread sleeps do not advance it.)
    ///
    /// ```
    /// use resilience_core::backoff::Backoff;
    /// use resilience_core::retry::{Retry, RetryPolicy};
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::fixed().base(Duration::from_millis(1)).build()?;
    /// let policy = RetryPolicy::builder().attempts(3).backoff(backoff).build()?;
    /// let mut calls = 0;
    /// let result = Retry::new(&policy).run_blocking(|| {
    ///     calls += 1;
    ///     if calls == 1 { Err("connection reset") } else { Ok(calls) }
    /// });
    /// assert_eq!(result, Ok(2));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn run_blocking<T, E, F>(mut self, mut operation: F) -> Result<T, E>
    where
        F: FnMut() -> Result<T, E>,
        E: fmt::Debug,
        C: Classify<E>,
        A: RetryAfter<E>,
    {
        let mut state = RetryState::new(self.policy);
        loop {
            state.start_attempt();
            let error = match operation() {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            match self.decide(&mut state, &error) {
                RetryDecision::Retry { delay } => {
                    drop(error);
                    if !delay.is_zero() {
                        std::thread::sleep(delay);
                    }
                }
                RetryDecision::GiveUp(_) => return Err(error),
            }
        }
    }
}
