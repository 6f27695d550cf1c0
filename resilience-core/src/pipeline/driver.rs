//! Walking the layers: down before a call, up after it.
//!
//! Layers sit outermost first. Going *down* (`descend`) each layer gets ready for the
//! call below it: retry counts an attempt, the breaker admits or rejects, a timeout fixes
//! its deadline, a fallback resets to the primary. Going *up* (`ascend`) each layer sees
//! the outcome of everything below it and either passes it on or turns around: retry
//! sleeps and goes down again, a fallback calls its next agent. An expired deadline
//! (`expire`) cancels what runs below its layer and becomes that layer's error.
//!
//! Every depth is a constant of the pipeline's type ([`Order`]), so after
//! monomorphization these walks are straight-line code over the layers the pipeline
//! has; the loops and the `if depth == ...` chains below are folded away. The paths
//! that only failures take (a retry decision, a sleep, a rejection, a deadline) are
//! kept out of line, so the success path inlines into the caller's function.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use core::time::Duration;

use tokio::time::Instant;

use super::layers::{CircuitSlot, FallbackSlot, NONE, Order, RetrySlot, TimeoutSlot};
use super::{Flow, Outcome, Pipeline, Step};
use crate::TimedOut;

/// What the driver does next, before it has something to tell its caller.
enum Action<T, E> {
    Step(Step<T, E>),
    /// Sleep, then go down again from the retry layer.
    Sleep(Duration),
}

impl<'a, T, E, R, C, Ti, F, O> Pipeline<'a, T, E, R, C, Ti, F, O>
where
    R: RetrySlot<E>,
    C: CircuitSlot<E>,
    Ti: TimeoutSlot<T, E>,
    F: FallbackSlot<E>,
    O: Order,
{
    /// A timeout with nothing below it that sleeps or calls again covers exactly one
    /// call, so its clock can start lazily inside that call.
    const TIMEOUT_IS_LAZY: bool = !(O::RETRY != NONE && O::RETRY > O::TIMEOUT)
        && !(O::FALLBACK != NONE && O::FALLBACK > O::TIMEOUT);
    /// A deadline fixed above the retry layer bounds its sleeps too.
    const TIMEOUT_ABOVE_RETRY: bool =
        O::TIMEOUT != NONE && O::RETRY != NONE && O::TIMEOUT < O::RETRY;
    /// An expired deadline cancels the breaker's call in flight.
    const CIRCUIT_BELOW_TIMEOUT: bool =
        O::CIRCUIT != NONE && O::TIMEOUT != NONE && O::CIRCUIT > O::TIMEOUT;
    /// An agent runs in place of everything below its fallback layer, so a timeout down
    /// there does not cover it.
    const TIMEOUT_BELOW_FALLBACK: bool =
        O::FALLBACK != NONE && O::TIMEOUT != NONE && O::TIMEOUT > O::FALLBACK;

    /// Goes down through every layer to the first call (or straight to an answer, when a
    /// breaker rejects it). Sleeps first if an outer retry retries that rejection.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<(), ()>>();
    /// assert!(matches!(p.start().await, Step::Call(0)));
    /// # });
    /// ```
    #[inline(always)]
    pub fn start(&mut self) -> Start<'_, 'a, T, E, R, C, Ti, F, O> {
        // Lazy: the walk down runs when the future is polled (at once, by `.await`), so
        // the step is produced in place instead of being carried in the future.
        Start {
            state: StartState::Begin(self),
        }
    }

    /// [`start`](Self::start) for a blocking function: sleeps with
    /// [`std::thread::sleep`].
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<(), ()>>();
    /// assert!(matches!(p.start_blocking(), Step::Call(0)));
    /// ```
    #[inline(always)]
    pub fn start_blocking(&mut self) -> Step<T, E> {
        let action = self.descend(0);
        self.settle_blocking(action)
    }

    /// Wraps the call that [`Step::Call`] asked for in the deadline that covers it.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>();
    /// let _ = p.start().await;
    /// let outcome = p.guard(async { Ok(3) }).await;
    /// assert!(matches!(p.next(outcome).await, Step::Done(Ok(3))));
    /// # });
    /// ```
    #[inline(always)]
    pub fn guard<Fut>(&mut self, call: Fut) -> C::Watched<'_, Ti::Guard<Fut>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let covered =
            O::TIMEOUT != NONE && !(Self::TIMEOUT_BELOW_FALLBACK && self.fallback.calling());
        let guard = self.timeout.guard(call, covered);
        self.circuit.watch(guard)
    }

    /// Hands over the outcome of the call [`Step::Call`] asked for; returns what to do
    /// next, after any retry delay.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start().await;
    /// let step = p.next(Err("no").into()).await;
    /// assert!(matches!(step, Step::Done(Err("no"))));
    /// # });
    /// ```
    #[inline(always)]
    pub fn next(&mut self, outcome: Outcome<T, E>) -> Next<'_, 'a, T, E, R, C, Ti, F, O> {
        let action = self.deliver(outcome);
        self.settle(action)
    }

    /// [`next`](Self::next) for a blocking function.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start_blocking();
    /// assert!(matches!(p.next_blocking(Ok(1)), Step::Done(Ok(1))));
    /// ```
    #[inline(always)]
    pub fn next_blocking(&mut self, result: Result<T, E>) -> Step<T, E> {
        let action = self.deliver(Outcome(Ok(result)));
        self.settle_blocking(action)
    }

    /// The answer for a pipeline that calls its body at most once (no retry, no
    /// fallback): what the macros use when the body may consume its arguments.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start_blocking();
    /// assert_eq!(p.finish(Ok(2).into()), Ok(2));
    /// ```
    #[inline(always)]
    pub fn finish(&mut self, outcome: Outcome<T, E>) -> Result<T, E> {
        match self.deliver(outcome) {
            Action::Step(Step::Done(result)) => result,
            // Only retry sleeps and only fallback calls again; the macros use `finish`
            // without either, so this arm is unreachable from generated code.
            Action::Step(Step::Call(_)) | Action::Sleep(_) => finish_misused(),
        }
    }

    /// The synchronous protocol, step 1: goes down through every layer and says what to
    /// do first, without waiting. [`Flow::Wait`] only when a retry must sleep first.
    ///
    /// Nothing the caller awaits carries a [`Step`] here, so an `async fn` driven this
    /// way keeps no copy of the result in its future (see [`Flow`]).
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Flow};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>();
    /// let mut flow = p.enter();
    /// let result = loop {
    ///     let call = match { flow } {
    ///         Flow::Call(n) => n,
    ///         Flow::Done(result) => break result,
    ///         Flow::Wait => {
    ///             flow = p.wait().await;
    ///             continue;
    ///         }
    ///     };
    ///     let outcome = p.guard(async move { Ok(call as u8 + 1) }).await;
    ///     flow = p.leave(outcome);
    /// };
    /// assert_eq!(result, Ok(1));
    /// # });
    /// ```
    #[inline(always)]
    pub fn enter(&mut self) -> Flow<T, E> {
        let action = self.descend(0);
        self.flow(action)
    }

    /// The synchronous protocol, step 2: hands over the outcome of the call
    /// [`Flow::Call`] asked for and says what to do next, without waiting.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Flow};
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.enter();
    /// assert!(matches!(p.leave(Err("no").into()), Flow::Done(Err("no"))));
    /// ```
    #[inline(always)]
    pub fn leave(&mut self, outcome: Outcome<T, E>) -> Flow<T, E> {
        let action = self.deliver(outcome);
        self.flow(action)
    }

    /// The synchronous protocol, step 3: after [`Flow::Wait`], sleeps until the retry
    /// may go on and resolves to what to do then ([`Flow::Call`] or [`Flow::Done`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{backoff::{Backoff, Jitter}, pipeline::{pipeline, Flow}, retry::RetryPolicy};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// static POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
    ///     RetryPolicy::builder()
    ///         .backoff(resilience_core::ConfigError::unwrap_const(
    ///             Backoff::fixed().jitter(Jitter::None).build(),
    ///         ))
    ///         .build(),
    /// );
    /// let mut p = pipeline::<Result<u8, &str>>().retry(&POLICY, |_| true, None);
    /// let _ = p.enter();
    /// assert!(matches!(p.leave(Err("busy").into()), Flow::Wait));
    /// let start = tokio::time::Instant::now();
    /// assert!(matches!(p.wait().await, Flow::Call(0)));
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # });
    /// ```
    pub fn wait(&mut self) -> Wait<'_, 'a, T, E, R, C, Ti, F, O> {
        Wait { pipeline: self }
    }

    #[inline(always)]
    fn flow(&mut self, action: Action<T, E>) -> Flow<T, E> {
        match action {
            Action::Step(step) => step.into(),
            Action::Sleep(delay) => match self.schedule(delay) {
                Some(step) => step.into(),
                None => Flow::Wait,
            },
        }
    }

    #[inline(always)]
    fn settle(&mut self, action: Action<T, E>) -> Next<'_, 'a, T, E, R, C, Ti, F, O> {
        let state = match action {
            Action::Step(step) => NextState::Ready(step),
            Action::Sleep(delay) => match self.schedule(delay) {
                Some(step) => NextState::Ready(step),
                None => NextState::Sleeping(self),
            },
        };
        Next { state }
    }

    /// Starts the retry sleep of `delay`, bounded by a deadline above it, or goes on at
    /// once for a zero delay. `None`: sleeping now (poll with `poll_retry_sleep`).
    #[inline(never)]
    fn schedule(&mut self, mut delay: Duration) -> Option<Step<T, E>> {
        while delay.is_zero() {
            match self.descend(O::RETRY) {
                Action::Step(step) => return Some(step),
                Action::Sleep(next) => delay = next,
            }
        }
        let now = Instant::now();
        // As `tokio::time::sleep` does with a delay that does not fit: ~30 years.
        let wake = now
            .checked_add(delay)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
        let deadline = if Self::TIMEOUT_ABOVE_RETRY {
            self.timeout.deadline().map(|(deadline, _)| deadline)
        } else {
            None
        };
        // The delay wins a tie with the deadline, as an inner future that is ready at
        // the deadline wins it.
        match deadline {
            Some(deadline) if deadline < wake => self.retry.sleep_until(deadline, true),
            _ => self.retry.sleep_until(wake, false),
        }
        None
    }

    /// The retry timer fired: the delay is over (`expires == false`), or the deadline
    /// of a timeout above passed.
    #[inline(never)]
    fn woke(&mut self, expires: bool) -> Action<T, E> {
        if !expires {
            return self.descend(O::RETRY);
        }
        let Some((deadline, after)) = self.timeout.deadline() else {
            unreachable!("a sleep that expires has a deadline above it");
        };
        tracing::warn!(target: "resilience", after = ?after, "timed out");
        self.expire(TimedOut::new(after, deadline))
    }

    /// Polls the retry timer; when it fires, goes on (down again, or up with the
    /// deadline's error) until there is a step, sleeping again if need be.
    fn poll_retry_sleep(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        loop {
            let expires = ready!(self.retry.poll_sleep(cx));
            let step = match self.woke(expires) {
                Action::Step(step) => Some(step),
                Action::Sleep(delay) => self.schedule(delay),
            };
            if let Some(step) = step {
                return Poll::Ready(step);
            }
        }
    }

    fn settle_blocking(&mut self, mut action: Action<T, E>) -> Step<T, E> {
        loop {
            match action {
                Action::Step(step) => return step,
                Action::Sleep(delay) => {
                    if !delay.is_zero() {
                        std::thread::sleep(delay);
                    }
                    action = self.descend(O::RETRY);
                }
            }
        }
    }

    #[inline(always)]
    fn deliver(&mut self, outcome: Outcome<T, E>) -> Action<T, E> {
        match outcome.0 {
            Err(timed_out) => self.expire(timed_out),
            Ok(result) => {
                if self.fallback.take_calling() {
                    self.agent_done(result)
                } else {
                    self.ascend(O::LEN, result)
                }
            }
        }
    }

    /// Readies the layers from `from` down, then asks for the body.
    #[inline(always)]
    fn descend(&mut self, from: usize) -> Action<T, E> {
        let _ = self.fallback.take_calling();
        for depth in from..O::LEN {
            if depth == O::RETRY {
                self.retry.start_attempt();
            } else if depth == O::CIRCUIT {
                if let Err(error) = self.circuit.acquire() {
                    return self.ascend(depth, Err(error));
                }
            } else if depth == O::TIMEOUT {
                self.timeout.enter(Self::TIMEOUT_IS_LAZY);
            } else if depth == O::FALLBACK {
                self.fallback.reset();
            }
        }
        Action::Step(Step::Call(0))
    }

    /// Hands `result`, the outcome of everything below layer `above`, up through the
    /// layers `above - 1` to `0`.
    #[inline(always)]
    fn ascend(&mut self, above: usize, result: Result<T, E>) -> Action<T, E> {
        for depth in (0..above).rev() {
            if depth == O::RETRY {
                if let Err(error) = &result {
                    if let Some(delay) = self.retry.on_error(error) {
                        return Action::Sleep(delay);
                    }
                }
            } else if depth == O::CIRCUIT {
                self.circuit.record(&result);
            } else if depth == O::TIMEOUT {
                self.timeout.leave();
            } else if depth == O::FALLBACK {
                if let Err(error) = &result {
                    if let Some(agent) = self.fallback.primary_failed(error) {
                        return Action::Step(Step::Call(agent));
                    }
                }
            }
        }
        Action::Step(Step::Done(result))
    }

    /// The agent called by the fallback layer finished.
    #[inline(never)]
    fn agent_done(&mut self, result: Result<T, E>) -> Action<T, E> {
        match &result {
            Ok(_) => self.fallback.agent_succeeded(),
            Err(error) => {
                if let Some(agent) = self.fallback.agent_failed(error) {
                    return Action::Step(Step::Call(agent));
                }
            }
        }
        self.ascend(O::FALLBACK, result)
    }

    /// The deadline of the timeout layer passed: cancel what runs below it and hand its
    /// error up.
    #[inline(never)]
    fn expire(&mut self, timed_out: TimedOut) -> Action<T, E> {
        if O::TIMEOUT == NONE {
            unreachable!("a deadline passed in a pipeline without a timeout");
        }
        if Self::CIRCUIT_BELOW_TIMEOUT {
            self.circuit.cancel();
        }
        let _ = self.fallback.take_calling();
        let error = self.timeout.expire(timed_out);
        self.ascend(O::TIMEOUT, Err(error))
    }
}

#[cold]
#[inline(never)]
fn finish_misused() -> ! {
    unreachable!("`Pipeline::finish` on a pipeline with a retry or fallback layer")
}

/// What [`Pipeline::start`] returns: the first [`Step`], ready at once unless a retry
/// sleeps first (an outer retry retrying an inner breaker's rejection).
///
/// It holds only the pipeline: the walk down the layers runs when it is polled.
///
/// ```
/// # use resilience_core::pipeline::{pipeline, Step};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut p = pipeline::<Result<u8, ()>>();
/// let start = p.start();
/// assert_eq!(size_of_val(&start), 16);
/// assert!(matches!(start.await, Step::Call(0)));
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Start<'p, 'a, T, E, R, C, Ti, F, O> {
    state: StartState<'p, Pipeline<'a, T, E, R, C, Ti, F, O>>,
}

enum StartState<'p, P> {
    Begin(&'p mut P),
    Sleeping(&'p mut P),
    Done,
}

// Nothing in a `Start` is pinned.
impl<T, E, R, C, Ti, F, O> Unpin for Start<'_, '_, T, E, R, C, Ti, F, O> {}

impl<T, E, R, C, Ti, F, O> Future for Start<'_, '_, T, E, R, C, Ti, F, O>
where
    R: RetrySlot<E>,
    C: CircuitSlot<E>,
    Ti: TimeoutSlot<T, E>,
    F: FallbackSlot<E>,
    O: Order,
{
    type Output = Step<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        let this = self.get_mut();
        let state = core::mem::replace(&mut this.state, StartState::Done);
        let pipeline = match state {
            StartState::Begin(pipeline) => {
                let step = match pipeline.descend(0) {
                    Action::Step(step) => Some(step),
                    Action::Sleep(delay) => pipeline.schedule(delay),
                };
                match step {
                    Some(step) => return Poll::Ready(step),
                    None => pipeline,
                }
            }
            StartState::Sleeping(pipeline) => pipeline,
            StartState::Done => panic!("`Start` polled after completion"),
        };
        let polled = pipeline.poll_retry_sleep(cx);
        if polled.is_pending() {
            this.state = StartState::Sleeping(pipeline);
        }
        polled
    }
}

/// What [`Pipeline::next`] returns: the next [`Step`], ready at once unless a retry
/// sleeps first.
///
/// It holds the step, or the pipeline while its retry timer runs (the timer itself
/// lives in the retry layer), so awaiting it adds little to the caller's future.
///
/// ```
/// # use resilience_core::pipeline::{pipeline, Step};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut p = pipeline::<Result<u8, ()>>();
/// assert!(matches!(p.start().await, Step::Call(0)));
/// let next = p.next(Ok(5).into());
/// assert!(matches!(next.await, Step::Done(Ok(5))));
/// # });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Next<'p, 'a, T, E, R, C, Ti, F, O> {
    #[allow(
        clippy::type_complexity,
        reason = "the pipeline's own type, spelled out once"
    )]
    state: NextState<'p, Pipeline<'a, T, E, R, C, Ti, F, O>, Step<T, E>>,
}

enum NextState<'p, P, S> {
    Ready(S),
    Sleeping(&'p mut P),
    Done,
}

// Nothing in a `Next` is pinned: the step is moved out whole and the timer lives behind
// a box in the pipeline.
impl<T, E, R, C, Ti, F, O> Unpin for Next<'_, '_, T, E, R, C, Ti, F, O> {}

impl<T, E, R, C, Ti, F, O> Future for Next<'_, '_, T, E, R, C, Ti, F, O>
where
    R: RetrySlot<E>,
    C: CircuitSlot<E>,
    Ti: TimeoutSlot<T, E>,
    F: FallbackSlot<E>,
    O: Order,
{
    type Output = Step<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        let this = self.get_mut();
        match core::mem::replace(&mut this.state, NextState::Done) {
            NextState::Ready(step) => Poll::Ready(step),
            NextState::Sleeping(pipeline) => {
                let polled = pipeline.poll_retry_sleep(cx);
                if polled.is_pending() {
                    this.state = NextState::Sleeping(pipeline);
                }
                polled
            }
            NextState::Done => panic!("`Next` polled after completion"),
        }
    }
}

/// What [`Pipeline::wait`] returns: the retry sleep, then what to do next.
///
/// It holds only the pipeline (the timer lives in the retry layer).
#[must_use = "futures do nothing unless polled"]
pub struct Wait<'p, 'a, T, E, R, C, Ti, F, O> {
    pipeline: &'p mut Pipeline<'a, T, E, R, C, Ti, F, O>,
}

// Nothing in a `Wait` is pinned.
impl<T, E, R, C, Ti, F, O> Unpin for Wait<'_, '_, T, E, R, C, Ti, F, O> {}

impl<T, E, R, C, Ti, F, O> Future for Wait<'_, '_, T, E, R, C, Ti, F, O>
where
    R: RetrySlot<E>,
    C: CircuitSlot<E>,
    Ti: TimeoutSlot<T, E>,
    F: FallbackSlot<E>,
    O: Order,
{
    type Output = Flow<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Flow<T, E>> {
        self.get_mut().pipeline.poll_retry_sleep(cx).map(Flow::from)
    }
}
