//! [`Pipeline`]: a built stack of layers, and the protocol its caller drives it with.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll, ready};

use super::meter::Meter;
use super::{Flow, Outcome, Stack, Step};
use crate::fallback::Depth;

/// The layers around one call of one function, and where that call stands.
///
/// Built by [`pipeline`](super::pipeline)`::<R>()`, the layers' builder methods, then
/// [`build`](super::Builder::build). Driven with [`enter`](Self::enter),
/// [`guard`](Self::guard), [`leave`](Self::leave) and [`wait`](Self::wait) (see the
/// [module docs](super)), or all at once with [`run`](Self::run) when the calls can be
/// made by a closure.
///
/// Which layers it holds, and in which order, is its type `S` (a nesting of
/// [`Stack`]s), so each pipeline compiles to the code of its own layers. Nobody names
/// this type: the builder produces it.
///
/// ```
/// use resilience_core::pipeline::{pipeline, Flow};
/// use resilience_core::retry::{NoRetryAfter, RetryPolicy};
///
/// static POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
///     RetryPolicy::builder().attempts(2).build(),
/// );
/// let mut calls = 0;
/// let mut p = pipeline::<Result<u32, String>>().retry(&POLICY, |_| true, NoRetryAfter).build();
/// let mut flow = p.enter();
/// let result = loop {
///     match flow {
///         Flow::Call(_) => {
///             calls += 1;
///             flow = p.leave(Ok(7).into());
///         }
///         Flow::Wait => flow = p.wait_blocking(),
///         Flow::Done(result) => break result,
///     }
/// };
/// assert_eq!((result, calls), (Ok(7), 1));
/// ```
pub struct Pipeline<T, E, S> {
    stack: S,
    /// Durations and the pipeline's name for events (feature `metrics`; else nothing).
    meter: Meter,
    /// Counted in an enclosing `fallback::observe` scope, which reports this
    /// pipeline's fallbacks but not those of pipelines inside it.
    _depth: Depth,
    _types: PhantomData<fn() -> (T, E)>,
}

#[inline(always)]
fn flow<T, E>(step: Step<T, E>) -> Flow<T, E> {
    match step {
        Step::Call(n) => Flow::Call(n),
        Step::Wait => Flow::Wait,
        Step::Done { result, .. } => Flow::Done(result),
    }
}

impl<T, E, S: Stack<T, E>> Pipeline<T, E, S> {
    /// A pipeline over `stack`.
    ///
    /// ```
    /// use resilience_core::pipeline::{Body, Flow, Pipeline};
    ///
    /// let mut p = Pipeline::new(Body::<u8, ()>::new());
    /// assert!(matches!(p.enter(), Flow::Call(0)));
    /// ```
    #[inline(always)]
    pub fn new(stack: S) -> Self {
        Self::counted(Depth::entered(), Meter::new("pipeline"), stack)
    }

    /// A pipeline over `stack`, counted by `depth`.
    #[inline(always)]
    pub(super) const fn counted(depth: Depth, meter: Meter, stack: S) -> Self {
        Self {
            stack,
            meter,
            _depth: depth,
            _types: PhantomData,
        }
    }

    /// Step 1: goes down through every layer and says what to do first.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Flow};
    /// let mut p = pipeline::<Result<u8, ()>>().build();
    /// assert!(matches!(p.enter(), Flow::Call(0)));
    /// ```
    #[inline(always)]
    pub fn enter(&mut self) -> Flow<T, E> {
        let _scope = self.meter.scope();
        self.meter.started();
        let flow = flow(self.stack.enter());
        self.meter.flow(&flow);
        flow
    }

    /// Step 2: wraps the call that [`Flow::Call`] asked for in what covers it (the
    /// deadlines above it, a breaker's panic watch). Await it and hand the outcome
    /// to [`leave`](Self::leave).
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Flow};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>().build();
    /// let _ = p.enter();
    /// let outcome = p.guard(async { Ok(3) }).await;
    /// assert!(matches!(p.leave(outcome), Flow::Done(Ok(3))));
    /// # });
    /// ```
    #[inline(always)]
    pub fn guard<F: Future<Output = Result<T, E>>>(&self, call: F) -> S::Guard<'_, F> {
        self.stack.guard(call)
    }

    /// Step 3: hands over the outcome of the call and says what to do next.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Flow};
    /// let mut p = pipeline::<Result<u8, &str>>().build();
    /// let _ = p.enter();
    /// assert!(matches!(p.leave(Err("no").into()), Flow::Done(Err("no"))));
    /// ```
    #[inline(always)]
    pub fn leave(&mut self, outcome: Outcome<T, E>) -> Flow<T, E> {
        let _scope = self.meter.scope();
        self.meter.left(&outcome);
        let flow = flow(self.stack.leave(outcome));
        self.meter.flow(&flow);
        flow
    }

    /// After [`Flow::Wait`]: waits (a retry delay, say) and resolves to what to do
    /// then. The future holds nothing but the pipeline.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{backoff::{Backoff, Jitter}, pipeline::{pipeline, Flow}, retry::{NoRetryAfter, RetryPolicy}};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// static POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
    ///     RetryPolicy::builder()
    ///         .backoff(resilience_core::ConfigError::unwrap_const(
    ///             Backoff::fixed().jitter(Jitter::None).build(),
    ///         ))
    ///         .build(),
    /// );
    /// let mut p = pipeline::<Result<u8, &str>>().retry(&POLICY, |_| true, NoRetryAfter).build();
    /// let _ = p.enter();
    /// assert!(matches!(p.leave(Err("busy").into()), Flow::Wait));
    /// let start = tokio::time::Instant::now();
    /// assert!(matches!(p.wait().await, Flow::Call(0)));
    /// assert_eq!(start.elapsed(), Duration::from_secs(1));
    /// # });
    /// ```
    #[inline(always)]
    pub fn wait(&mut self) -> Wait<'_, T, E, S> {
        Wait { pipeline: self }
    }

    /// [`wait`](Self::wait) for a blocking function: blocks the thread.
    ///
    /// ```
    /// # use resilience_core::{backoff::{Backoff, Jitter}, pipeline::{pipeline, Flow}, retry::{NoRetryAfter, RetryPolicy}};
    /// static POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
    ///     RetryPolicy::builder()
    ///         .backoff(resilience_core::ConfigError::unwrap_const(
    ///             Backoff::fixed().base(std::time::Duration::from_millis(1)).jitter(Jitter::None).build(),
    ///         ))
    ///         .build(),
    /// );
    /// let mut p = pipeline::<Result<u8, &str>>().retry(&POLICY, |_| true, NoRetryAfter).build();
    /// let _ = p.enter();
    /// assert!(matches!(p.leave(Err("busy").into()), Flow::Wait));
    /// assert!(matches!(p.wait_blocking(), Flow::Call(0)));
    /// ```
    pub fn wait_blocking(&mut self) -> Flow<T, E> {
        let _scope = self.meter.scope();
        loop {
            match self.stack.wait_blocking() {
                Step::Wait => {}
                step => {
                    let flow = flow(step);
                    self.meter.flow(&flow);
                    return flow;
                }
            }
        }
    }

    /// The answer for a pipeline that makes at most one call and never waits after it
    /// (no retry, no fallback): what the macros use when the body may consume its
    /// arguments.
    ///
    /// # Panics
    ///
    /// If the pipeline asks for another call or a wait: it has a layer that repeats.
    ///
    /// ```
    /// # use resilience_core::pipeline::pipeline;
    /// let mut p = pipeline::<Result<u8, &str>>().build();
    /// let _ = p.enter();
    /// assert_eq!(p.finish(Ok(2).into()), Ok(2));
    /// ```
    #[inline(always)]
    pub fn finish(&mut self, outcome: Outcome<T, E>) -> Result<T, E> {
        let _scope = self.meter.scope();
        self.meter.left(&outcome);
        match self.stack.leave(outcome) {
            Step::Done { result, .. } => {
                self.meter.finished(&result);
                result
            }
            Step::Call(_) | Step::Wait => finish_misused(),
        }
    }

    /// Drives the whole protocol, making each call with `call(n)` (`0` the body, `k`
    /// the k-th fallback agent): for code that can make its calls from a closure.
    ///
    /// ```
    /// use resilience_core::pipeline::pipeline;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// # use resilience_core::fallback::Agent;
    /// let mut p = pipeline::<Result<u8, ()>>().fallback(&const { [Agent::named("cache")] }, |_| true).build();
    /// let answer = p.run(|n| async move { if n == 0 { Err(()) } else { Ok(7) } }).await;
    /// assert_eq!(answer, Ok(7));
    /// # });
    /// ```
    pub async fn run<F, Fut>(&mut self, mut call: F) -> Result<T, E>
    where
        F: FnMut(usize) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut flow = self.enter();
        loop {
            match flow {
                Flow::Call(n) => {
                    let outcome = self.guard(call(n)).await;
                    flow = self.leave(outcome);
                }
                Flow::Wait => flow = self.wait().await,
                Flow::Done(result) => return result,
            }
        }
    }

    /// [`run`](Self::run) for blocking calls.
    ///
    /// ```
    /// use resilience_core::pipeline::pipeline;
    ///
    /// # use resilience_core::fallback::Agent;
    /// let mut p = pipeline::<Result<u8, ()>>().fallback(&const { [Agent::named("cache")] }, |_| true).build();
    /// assert_eq!(p.run_blocking(|n| if n == 0 { Err(()) } else { Ok(7) }), Ok(7));
    /// ```
    pub fn run_blocking(&mut self, mut call: impl FnMut(usize) -> Result<T, E>) -> Result<T, E> {
        let mut flow = self.enter();
        loop {
            match flow {
                Flow::Call(n) => flow = self.leave(call(n).into()),
                Flow::Wait => flow = self.wait_blocking(),
                Flow::Done(result) => return result,
            }
        }
    }
}

#[cold]
#[inline(never)]
fn finish_misused() -> ! {
    unreachable!("`Pipeline::finish` on a pipeline with a layer that calls again or waits")
}

/// What [`Pipeline::wait`] returns: the wait, then what to do next.
///
/// It holds only the pipeline (the timers live in the layers).
///
/// ```
/// # use resilience_core::pipeline::pipeline;
/// let mut p = pipeline::<Result<u8, ()>>().build();
/// assert_eq!(size_of_val(&p.wait()), size_of::<usize>());
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Wait<'p, T, E, S> {
    pipeline: &'p mut Pipeline<T, E, S>,
}

impl<T, E, S: Stack<T, E>> Future for Wait<'_, T, E, S> {
    type Output = Flow<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Flow<T, E>> {
        let pipeline = &mut *self.get_mut().pipeline;
        let _scope = pipeline.meter.scope();
        loop {
            match ready!(pipeline.stack.poll_wait(cx)) {
                // Another wait began (a retry woke into a queue): poll that one.
                Step::Wait => {}
                step => {
                    let flow = flow(step);
                    pipeline.meter.flow(&flow);
                    return Poll::Ready(flow);
                }
            }
        }
    }
}
