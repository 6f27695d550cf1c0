//! The retry layer of a pipeline: [`RetryState`] driving the stack below it.

use core::fmt::Debug;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use core::time::Duration;

use tokio::time::{Instant, Sleep};

use super::{RetryDecision, RetryPolicy, RetryState};
use crate::pipeline::{Builder, Layer, Outcome, Stack, Step, Then};

/// Reads the delay a server asked for from an error (`Retry-After`).
pub type RetryAfterFn<E> = fn(&E) -> Option<Duration>;

/// `#[retry]`'s layer: runs the stack below it again under a [`RetryPolicy`].
///
/// `on` says which errors are retried; `retry_after` reads a delay the server asked
/// for. A refusal from below that says when the call may pass (a breaker's
/// `CircuitOpen::retry_in`) is waited out the same way: exactly that long instead of
/// the backoff delay, or give up at once when it is longer than the policy's `max` or
/// would end past `max_elapsed`.
///
/// ```
/// use resilience_core::pipeline::pipeline;
/// use resilience_core::retry::RetryPolicy;
///
/// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
/// let p = pipeline::<Result<(), String>>().retry(&POLICY, |e| e != "fatal", None).build();
/// # let _ = p;
/// ```
pub struct RetryLayer<'a, E, On> {
    policy: &'a RetryPolicy,
    on: On,
    retry_after: Option<RetryAfterFn<E>>,
}

impl<'a, E, On> RetryLayer<'a, E, On> {
    /// The layer for `policy`, retrying the errors `on` accepts.
    ///
    /// ```
    /// use resilience_core::retry::{RetryLayer, RetryPolicy};
    ///
    /// let layer = RetryLayer::<String, _>::new(&RetryPolicy::DEFAULT, |_: &String| true, None);
    /// # let _ = layer;
    /// ```
    pub const fn new(
        policy: &'a RetryPolicy,
        on: On,
        retry_after: Option<RetryAfterFn<E>>,
    ) -> Self {
        Self {
            policy,
            on,
            retry_after,
        }
    }
}

impl<'a, T, E: Debug, On: Fn(&E) -> bool> Layer<T, E> for RetryLayer<'a, E, On> {
    type Stack<S: Stack<T, E>> = RetryStack<'a, E, On, S>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S) -> RetryStack<'a, E, On, S> {
        RetryStack {
            state: RetryState::new(self.policy),
            on: self.on,
            retry_after: self.retry_after,
            pause: Pause::None,
            sleep: None,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a retry layer: everything added after it runs again, under `policy`, on
    /// the errors `on` accepts (see [`RetryLayer`]).
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, retry::RetryPolicy};
    /// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
    /// let p = pipeline::<Result<(), String>>().retry(&POLICY, |e| e != "fatal", None).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn retry<On: Fn(&E) -> bool>(
        self,
        policy: &RetryPolicy,
        on: On,
        retry_after: Option<RetryAfterFn<E>>,
    ) -> Builder<T, E, Then<L, RetryLayer<'_, E, On>>>
    where
        E: Debug,
    {
        self.layer(RetryLayer::new(policy, on, retry_after))
    }
}

/// Where the retry stands between attempts.
#[derive(Clone, Copy)]
enum Pause {
    /// An attempt runs (or none yet).
    None,
    /// A delay was decided and returned as [`Step::Wait`]; its timer is not set yet.
    Decided(Duration),
    /// The timer in `sleep` runs.
    Sleeping,
}

/// A [`RetryLayer`] around the stack `S`.
pub struct RetryStack<'a, E, On, S> {
    state: RetryState<'a>,
    on: On,
    retry_after: Option<RetryAfterFn<E>>,
    pause: Pause,
    /// Made at the first delay, reset for the next ones: a call whose first attempt
    /// succeeds allocates nothing.
    sleep: Option<Pin<Box<Sleep>>>,
    inner: S,
}

impl<E: Debug, On: Fn(&E) -> bool, S> RetryStack<'_, E, On, S> {
    /// The 1-based number of the attempt that runs now (or ran last).
    ///
    /// ```
    /// use resilience_core::pipeline::{Body, Layer, Stack};
    /// use resilience_core::retry::{RetryLayer, RetryPolicy};
    ///
    /// let mut stack = Layer::<u8, ()>::wrap(
    ///     RetryLayer::new(&RetryPolicy::DEFAULT, |_: &()| true, None),
    ///     Body::new(),
    /// );
    /// let _ = stack.enter();
    /// assert_eq!(stack.attempt(), 1);
    /// ```
    pub const fn attempt(&self) -> u32 {
        self.state.attempt()
    }

    /// `error` ended an attempt: the delay before the next one, or `None` to give up.
    #[inline(never)]
    fn decide(&mut self, error: &E, retry_in: Option<Duration>) -> Option<Duration> {
        let retryable = (self.on)(error);
        let asked = self.retry_after.and_then(|read| read(error));
        // A refusal's delay and the server's are both "not before": the longer holds.
        let server_delay = asked.max(retry_in);
        match self
            .state
            .on_error(error as &dyn Debug, retryable, server_delay)
        {
            RetryDecision::Retry { delay } => Some(delay),
            RetryDecision::GiveUp(_) => None,
        }
    }
}

impl<E: Debug, On: Fn(&E) -> bool, S> RetryStack<'_, E, On, S> {
    /// Starts the next attempt.
    #[inline(always)]
    fn attempt_below<T>(&mut self) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        self.state.start_attempt();
        self.inner.enter()
    }

    /// What the stack below answered, turned into a retry where the policy says so.
    #[inline(always)]
    fn up<T>(&mut self, mut step: Step<T, E>) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        loop {
            let Step::Done {
                result: Err(error),
                retry_in,
            } = step
            else {
                return step;
            };
            match self.decide(&error, retry_in) {
                Some(delay) if delay.is_zero() => step = self.attempt_below(),
                Some(delay) => {
                    self.pause = Pause::Decided(delay);
                    return Step::Wait;
                }
                None => {
                    return Step::Done {
                        result: Err(error),
                        retry_in,
                    };
                }
            }
        }
    }

    /// The delay is over: the next attempt.
    #[cold]
    fn woke<T>(&mut self) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        self.pause = Pause::None;
        let step = self.attempt_below();
        self.up(step)
    }
}

impl<T, E: Debug, On: Fn(&E) -> bool, S: Stack<T, E>> Stack<T, E> for RetryStack<'_, E, On, S> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = S::Guard<'s, F>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        // A fresh sequence: an outer layer may enter this one more than once.
        self.state = RetryState::new(self.state.policy());
        self.pause = Pause::None;
        let step = self.attempt_below();
        self.up(step)
    }

    #[inline(always)]
    fn guard<'s, F: Future<Output = Result<T, E>>>(&'s self, call: F) -> S::Guard<'s, F> {
        self.inner.guard(call)
    }

    #[inline(always)]
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        let step = self.inner.leave(outcome);
        self.up(step)
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        match self.pause {
            Pause::None => {
                let step = ready!(self.inner.poll_wait(cx));
                return Poll::Ready(self.up(step));
            }
            Pause::Decided(delay) => {
                let now = Instant::now();
                // As `tokio::time::sleep` does with a delay that does not fit: ~30 years.
                let wake = now
                    .checked_add(delay)
                    .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
                match &mut self.sleep {
                    Some(sleep) => sleep.as_mut().reset(wake),
                    None => self.sleep = Some(Box::pin(tokio::time::sleep_until(wake))),
                }
                self.pause = Pause::Sleeping;
            }
            Pause::Sleeping => {}
        }
        let Some(sleep) = &mut self.sleep else {
            unreachable!("a retry sleeps only after setting its timer");
        };
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(self.woke())
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        match self.pause {
            Pause::Decided(delay) => {
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                self.woke()
            }
            Pause::None | Pause::Sleeping => {
                let step = self.inner.wait_blocking();
                self.up(step)
            }
        }
    }

    fn cancel(&mut self) {
        self.pause = Pause::None;
        self.inner.cancel();
    }
}
