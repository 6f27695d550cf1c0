//! The retry layer of a pipeline: [`RetryState`] driving the stack below it.

use core::fmt::Debug;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use core::time::Duration;

use tokio::time::{Instant, Sleep};

use super::{Budget, NoBudget, RetryAfter, RetryBudget, RetryDecision, RetryPolicy, RetryState};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};

/// `#[retry]`'s layer: runs the stack below it again under a [`RetryPolicy`].
///
/// `on` says which errors are retried; `retry_after` reads a delay the server asked
/// for. A refusal from below that says when the call may pass (a breaker's
/// `CircuitOpen::retry_in`) is waited out the same way: exactly that long instead of
/// the backoff delay, or give up at once when it is longer than the policy's `max` or
/// would end past `max_elapsed`.
///
/// With a [`RetryBudget`] (`B`, added by [`Builder::budget`]), each time the layer is
/// entered counts a first attempt, and each retry must be paid for by the budget; when
/// it cannot be, the layer gives up with the last error.
///
/// ```
/// use resilience_core::pipeline::pipeline;
/// use resilience_core::retry::{NoRetryAfter, RetryPolicy};
///
/// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
/// let p = pipeline::<Result<(), String>>().retry(&POLICY, |e| e != "fatal", NoRetryAfter).build();
/// # let _ = p;
/// ```
pub struct RetryLayer<'a, E, On, RA, B = NoBudget> {
    policy: &'a RetryPolicy,
    on: On,
    retry_after: RA,
    decide: Decide<E, On, RA>,
    budget: B,
}

/// The layer's one use of `E`, `On` and `RA`, made where their bounds (`E: Debug`,
/// `On: Fn(&E) -> bool`, `RA: RetryAfter<E>`) are checked: the layer carries none of
/// them, so a wrong `when` or an error type without `Debug` is one compile error at the
/// attribute, not one more for every method the expansion calls.
/// The budget is passed as `&dyn Budget`: the decision is made only after a failure.
type Decide<E, On, RA> =
    fn(&On, &mut RA, &mut RetryState<'_>, &E, Option<Duration>, &dyn Budget) -> RetryDecision;

impl<'a, E, On, RA> RetryLayer<'a, E, On, RA> {
    /// The layer for `policy`, retrying the errors `on` accepts.
    ///
    /// ```
    /// use resilience_core::retry::{NoRetryAfter, RetryLayer, RetryPolicy};
    ///
    /// let layer = RetryLayer::new(&RetryPolicy::DEFAULT, |_: &String| true, NoRetryAfter);
    /// # let _ = layer;
    /// ```
    pub fn new(policy: &'a RetryPolicy, on: On, retry_after: RA) -> Self
    where
        E: Debug,
        On: Fn(&E) -> bool,
        RA: RetryAfter<E>,
    {
        Self {
            policy,
            on,
            retry_after,
            decide: |on, retry_after, state, error, retry_in, budget| {
                let retryable = on(error);
                // A refusal's delay and the server's are both "not before": the longer
                // holds.
                let server_delay = retry_after.retry_after(error).max(retry_in);
                state.on_error_within(error as &dyn Debug, retryable, server_delay, budget)
            },
            budget: NoBudget,
        }
    }
}

impl<'a, E, On, RA> RetryLayer<'a, E, On, RA, NoBudget> {
    /// The same layer, its retries paid for by `budget` (see [`RetryBudget`]).
    ///
    /// ```
    /// use resilience_core::retry::{NoRetryAfter, RetryBudget, RetryLayer, RetryPolicy};
    ///
    /// let budget = RetryBudget::builder().build()?;
    /// let layer = RetryLayer::new(&RetryPolicy::DEFAULT, |_: &String| true, NoRetryAfter)
    ///     .with_budget(&budget);
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn with_budget(self, budget: &RetryBudget) -> RetryLayer<'a, E, On, RA, &RetryBudget> {
        RetryLayer {
            policy: self.policy,
            on: self.on,
            retry_after: self.retry_after,
            decide: self.decide,
            budget,
        }
    }
}

impl<'a, T, E, On, RA, B: Budget> Layer<T, E> for RetryLayer<'a, E, On, RA, B> {
    type Stack<S: Stack<T, E>> = RetryStack<'a, E, On, RA, S, B>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(
        self,
        inner: S,
        _: &PipelineContext,
    ) -> RetryStack<'a, E, On, RA, S, B> {
        RetryStack {
            policy: self.policy,
            on: self.on,
            retry_after: self.retry_after,
            decide: self.decide,
            budget: self.budget,
            sequence: None,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a retry layer: everything added after it runs again, under `policy`, on
    /// the errors `on` accepts (see [`RetryLayer`]).
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, retry::{NoRetryAfter, RetryPolicy}};
    /// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
    /// let p = pipeline::<Result<(), String>>().retry(&POLICY, |e| e != "fatal", NoRetryAfter).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn retry<On: Fn(&E) -> bool, RA: RetryAfter<E>>(
        self,
        policy: &RetryPolicy,
        on: On,
        retry_after: RA,
    ) -> Builder<T, E, Then<L, RetryLayer<'_, E, On, RA>>>
    where
        E: Debug,
    {
        self.layer(RetryLayer::new(policy, on, retry_after))
    }
}

impl<'a, T, E, L: Layer<T, E>, On, RA> Builder<T, E, Then<L, RetryLayer<'a, E, On, RA>>> {
    /// Pays for the retries of the retry layer just added out of `budget` (see
    /// [`RetryBudget`]): each entry of that layer counts a first attempt, and a retry
    /// the budget cannot pay for is not made.
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, retry::{NoRetryAfter, RetryBudget, RetryPolicy}};
    /// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
    /// let budget = RetryBudget::builder().build()?;
    /// let p = pipeline::<Result<(), String>>()
    ///     .retry(&POLICY, |_| true, NoRetryAfter)
    ///     .budget(&budget)
    ///     .build();
    /// # let _ = p;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline(always)]
    #[allow(
        clippy::type_complexity,
        reason = "the builder's type is the nesting of its layers"
    )]
    pub fn budget(
        self,
        budget: &RetryBudget,
    ) -> Builder<T, E, Then<L, RetryLayer<'a, E, On, RA, &RetryBudget>>> {
        self.map_last(|layer| layer.with_budget(budget))
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
pub struct RetryStack<'a, E, On, RA, S, B = NoBudget> {
    policy: &'a RetryPolicy,
    on: On,
    retry_after: RA,
    decide: Decide<E, On, RA>,
    budget: B,
    /// `None` while a first attempt runs that needs nothing more (no clock read, no
    /// jitter draw, no timer): the common case costs one store. The sequence's state
    /// from its first failure on, or from its start under `max_elapsed`, which needs
    /// the start instant.
    sequence: Option<Sequence<'a>>,
    inner: S,
}

/// A retry sequence that needs more than its first attempt.
struct Sequence<'a> {
    state: RetryState<'a>,
    pause: Pause,
    /// Made at the first delay, reset for the next ones.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<'a> Sequence<'a> {
    /// A sequence whose first attempt starts now.
    fn start(policy: &'a RetryPolicy) -> Self {
        let mut state = RetryState::new(policy);
        state.start_attempt();
        Sequence {
            state,
            pause: Pause::None,
            sleep: None,
        }
    }
}

impl<'a, E, On, RA, S, B: Budget> RetryStack<'a, E, On, RA, S, B> {
    /// The 1-based number of the attempt that runs now (or ran last).
    ///
    /// ```
    /// use resilience_core::pipeline::{Body, Layer, PipelineContext, Stack};
    /// use resilience_core::retry::{NoRetryAfter, RetryLayer, RetryPolicy};
    ///
    /// let mut stack = Layer::<u8, ()>::wrap(
    ///     RetryLayer::new(&RetryPolicy::DEFAULT, |_: &()| true, NoRetryAfter),
    ///     Body::new(),
    ///     &PipelineContext::new("example"),
    /// );
    /// let _ = stack.enter();
    /// assert_eq!(stack.attempt(), 1);
    /// ```
    pub fn attempt(&self) -> u32 {
        self.sequence
            .as_ref()
            .map_or(1, |sequence| sequence.state.attempt())
    }

    /// `error` ended an attempt: the delay before the next one, or `None` to give up.
    #[inline(never)]
    fn decide(&mut self, error: &E, retry_in: Option<Duration>) -> Option<Duration> {
        let policy = self.policy;
        let sequence = self.sequence.get_or_insert_with(|| Sequence::start(policy));
        let decision = (self.decide)(
            &self.on,
            &mut self.retry_after,
            &mut sequence.state,
            error,
            retry_in,
            &self.budget,
        );
        match decision {
            RetryDecision::Retry { delay } => Some(delay),
            RetryDecision::GiveUp(_) => None,
        }
    }

    /// The sequence's state, once a delay was decided.
    fn pausing(&mut self) -> &mut Sequence<'a> {
        match &mut self.sequence {
            Some(sequence) => sequence,
            None => unreachable!("a retry pauses only after a decision, which made its state"),
        }
    }
}

impl<E, On, RA, S, B: Budget> RetryStack<'_, E, On, RA, S, B> {
    /// Starts the next attempt.
    #[inline(always)]
    fn attempt_below<T>(&mut self) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        if let Some(sequence) = &mut self.sequence {
            sequence.state.start_attempt();
        }
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
                    self.pausing().pause = Pause::Decided(delay);
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
        self.pausing().pause = Pause::None;
        let step = self.attempt_below();
        self.up(step)
    }
}

impl<T, E, On, RA, S: Stack<T, E>, B: Budget> Stack<T, E> for RetryStack<'_, E, On, RA, S, B> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = S::Guard<'s, F>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        // A fresh sequence: an outer layer may enter this one more than once.
        self.sequence = None;
        self.budget.deposit();
        if self.policy.max_elapsed().is_some() {
            // The bound counts from the first attempt's start.
            self.sequence = Some(Sequence::start(self.policy));
            let step = self.inner.enter();
            return self.up(step);
        }
        let step = self.inner.enter();
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
        let Some(sequence) = &mut self.sequence else {
            let step = ready!(self.inner.poll_wait(cx));
            return Poll::Ready(self.up(step));
        };
        let sleep = match sequence.pause {
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
                sequence.pause = Pause::Sleeping;
                match &mut sequence.sleep {
                    Some(sleep) => {
                        sleep.as_mut().reset(wake);
                        sleep
                    }
                    None => sequence
                        .sleep
                        .insert(Box::pin(tokio::time::sleep_until(wake))),
                }
            }
            Pause::Sleeping => match &mut sequence.sleep {
                Some(sleep) => sleep,
                None => unreachable!("a retry sleeps only after setting its timer"),
            },
        };
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(self.woke())
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        match self.sequence.as_ref().map(|sequence| sequence.pause) {
            Some(Pause::Decided(delay)) => {
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                self.woke()
            }
            _ => {
                let step = self.inner.wait_blocking();
                self.up(step)
            }
        }
    }

    fn cancel(&mut self) {
        if let Some(sequence) = &mut self.sequence {
            sequence.pause = Pause::None;
        }
        self.inner.cancel();
    }
}
