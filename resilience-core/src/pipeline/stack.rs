//! The layer protocol: what every layer of a pipeline does, and the call at the bottom.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use pin_project_lite::pin_project;

use super::Outcome;

/// What a layer tells the layer above it (and, at the top, the pipeline its caller).
///
/// ```
/// use resilience_core::pipeline::Step;
///
/// let step: Step<u8, &str> = Step::Done { result: Err("429"), retry_in: None };
/// assert!(matches!(step, Step::Done { result: Err(_), .. }));
/// ```
#[derive(Debug)]
pub enum Step<T, E> {
    /// Call function `n` once, guarded by [`Stack::guard`], and hand its outcome to
    /// [`Stack::leave`]: `0` is the body, `k >= 1` the k-th fallback agent of the
    /// pipeline (numbered outermost fallback first).
    Call(usize),
    /// Something in the stack waits (a retry delay, a queue): poll [`Stack::poll_wait`].
    Wait,
    /// The stack has its answer.
    Done {
        /// The answer.
        result: Result<T, E>,
        /// When the error is a layer's refusal that says when the call may pass
        /// (`CircuitOpen::retry_in`): that delay. A retry above waits it out like a
        /// server-given delay. `None` for every other answer.
        retry_in: Option<Duration>,
    },
}

impl<T, E> Step<T, E> {
    /// An answer that carries no delay.
    ///
    /// ```
    /// use resilience_core::pipeline::Step;
    ///
    /// assert!(matches!(Step::<u8, ()>::done(Ok(1)), Step::Done { result: Ok(1), retry_in: None }));
    /// ```
    #[inline(always)]
    pub const fn done(result: Result<T, E>) -> Self {
        Step::Done {
            result,
            retry_in: None,
        }
    }
}

/// One layer of a pipeline and everything below it.
///
/// A pipeline is a nesting of stacks: `Fallback<Circuit<Retry<Timeout<Body>>>>`, the
/// topmost attribute outermost, [`Body`] (the call itself) at the bottom. Each layer
/// implements these methods by doing its own part and delegating to the stack inside
/// it, so two layers never need to know of each other: what one does to another is
/// what the inner stack reports upward (an answer, a call to make, a wait) and what
/// the outer one asks of it (guard this call, wait, cancel).
///
/// The protocol, driven by [`Pipeline`](super::Pipeline):
///
/// 1. [`enter`](Self::enter) going down: each layer readies itself (counts an attempt,
///    asks a breaker, fixes a deadline) and returns what to do.
/// 2. On [`Step::Call`], the caller awaits the call wrapped by [`guard`](Self::guard)
///    (deadlines, panic watch) and hands its [`Outcome`] to [`leave`](Self::leave),
///    which passes it up layer by layer; any layer may turn it into another step
///    (a retry waits, a fallback calls its next agent).
/// 3. On [`Step::Wait`], the caller polls [`poll_wait`](Self::poll_wait) (or calls
///    [`wait_blocking`](Self::wait_blocking)) until it returns the next step.
/// 4. [`cancel`](Self::cancel) when a layer above abandons what runs below it (its
///    deadline passed): release what is held, count nothing.
///
/// Layers take the fast path inline and keep the paths only failures take out of line,
/// so a pipeline's success path compiles to straight-line code over its layers.
pub trait Stack<T, E> {
    /// How many layers this stack has under and including itself; [`Body`] is `0`.
    /// Distinct within one pipeline, so it names the layer an [`Outcome`] concerns
    /// (which deadline passed).
    const HEIGHT: u32;

    /// The future a call is awaited as under this stack.
    type Guard<'s, F: Future<Output = Result<T, E>>>: Future<Output = Outcome<T, E>>
    where
        Self: 's;

    /// Going down: get ready for a call and say what to do.
    fn enter(&mut self) -> Step<T, E>;

    /// Wraps the call that the last [`Step::Call`] asked for.
    fn guard<'s, F: Future<Output = Result<T, E>>>(&'s self, call: F) -> Self::Guard<'s, F>;

    /// Going up: the outcome of that call, and what to do next.
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E>;

    /// After a [`Step::Wait`]: ready with the next step once the wait is over (a
    /// [`Step::Wait`] again means another wait began: poll again).
    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>>;

    /// [`poll_wait`](Self::poll_wait) for a blocking function: blocks the thread.
    fn wait_blocking(&mut self) -> Step<T, E>;

    /// A layer above abandoned the call or wait in progress: release whatever is
    /// held for it, counting nothing.
    fn cancel(&mut self);
}

/// The bottom of every pipeline: the call itself (the body, or an agent).
///
/// ```
/// use resilience_core::pipeline::{Body, Stack, Step};
///
/// let mut body = Body::<u8, ()>::new();
/// assert!(matches!(body.enter(), Step::Call(0)));
/// assert!(matches!(body.leave(Ok(1).into()), Step::Done { result: Ok(1), .. }));
/// ```
pub struct Body<T, E>(PhantomData<fn() -> (T, E)>);

impl<T, E> Body<T, E> {
    /// The bottom of a pipeline.
    ///
    /// ```
    /// let body = resilience_core::pipeline::Body::<(), ()>::new();
    /// # let _ = body;
    /// ```
    #[inline(always)]
    pub const fn new() -> Self {
        Body(PhantomData)
    }
}

impl<T, E> Default for Body<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, E> Stack<T, E> for Body<T, E> {
    const HEIGHT: u32 = 0;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = Unbounded<F>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        Step::Call(0)
    }

    #[inline(always)]
    fn guard<F: Future<Output = Result<T, E>>>(&self, call: F) -> Unbounded<F> {
        Unbounded::new(call)
    }

    #[inline(always)]
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        // Only a deadline's layer makes an expired outcome, and it handles it itself.
        Step::done(outcome.into_result())
    }

    fn poll_wait(&mut self, _: &mut Context<'_>) -> Poll<Step<T, E>> {
        unreachable!("the call itself never waits")
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        unreachable!("the call itself never waits")
    }

    #[inline(always)]
    fn cancel(&mut self) {}
}

pin_project! {
    /// A call that nothing wraps: what [`Body::guard`](Stack::guard) returns. It adds
    /// nothing to the call's future.
    ///
    /// ```
    /// use resilience_core::pipeline::{Body, Stack};
    ///
    /// let body = Body::<u8, ()>::new();
    /// let guarded = body.guard(async { Ok(1) });
    /// assert_eq!(size_of_val(&guarded), size_of_val(&async { Ok::<u8, ()>(1) }));
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Unbounded<F> {
        #[pin]
        call: F,
    }
}

impl<F> Unbounded<F> {
    /// Wraps `call`.
    ///
    /// ```
    /// let call = resilience_core::pipeline::Unbounded::new(async { Ok::<u8, ()>(1) });
    /// # let _ = call;
    /// ```
    #[inline(always)]
    pub const fn new(call: F) -> Self {
        Self { call }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for Unbounded<F> {
    type Output = Outcome<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T, E>> {
        self.project().call.poll(cx).map(Outcome::from)
    }
}

pin_project! {
    /// One of two guards: what a layer returns when a call may or may not be wrapped
    /// by the stack below it (a fallback's agent runs in place of that stack).
    ///
    /// ```
    /// use resilience_core::pipeline::{Either, Unbounded};
    ///
    /// let body = async { Ok::<u8, ()>(1) };
    /// let call: Either<_, Unbounded<std::future::Ready<Result<u8, ()>>>> =
    ///     Either::Left { guard: Unbounded::new(body) };
    /// # let _ = call;
    /// ```
    #[project = EitherProj]
    #[must_use = "futures do nothing unless polled"]
    #[allow(missing_docs, reason = "pin-project-lite takes no docs on variant fields: each is the guard")]
    pub enum Either<A, B> {
        /// The first kind of guard.
        Left { #[pin] guard: A },
        /// The second kind of guard.
        Right { #[pin] guard: B },
    }
}

impl<O, A: Future<Output = O>, B: Future<Output = O>> Future for Either<A, B> {
    type Output = O;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<O> {
        match self.project() {
            EitherProj::Left { guard } => guard.poll(cx),
            EitherProj::Right { guard } => guard.poll(cx),
        }
    }
}
