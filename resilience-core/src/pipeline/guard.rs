//! The futures [`Pipeline::guard`](super::Pipeline::guard) returns, and what they give back.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
use core::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::TimedOut;
use crate::timeout::Timeout;

/// The outcome of one guarded call: the call's own result, or the deadline passing.
///
/// Hand it back to [`Pipeline::next`](super::Pipeline::next).
///
/// ```
/// use resilience_core::pipeline::Outcome;
///
/// let outcome: Outcome<u8, ()> = Outcome::from(Ok(1));
/// # let _ = outcome;
/// ```
#[derive(Debug)]
pub struct Outcome<T, E>(pub(super) Result<Result<T, E>, TimedOut>);

impl<T, E> From<Result<T, E>> for Outcome<T, E> {
    #[inline(always)]
    fn from(result: Result<T, E>) -> Self {
        Outcome(Ok(result))
    }
}

pin_project! {
    /// One call that no deadline can cover: what [`Pipeline::guard`](super::Pipeline::guard)
    /// returns in a pipeline without a timeout layer. It adds nothing to the call's future.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>();
    /// let _ = p.start().await;
    /// let call = async { Ok(1) };
    /// let guarded = p.guard(call);
    /// assert_eq!(size_of_val(&guarded), size_of_val(&async { Ok::<u8, ()>(1) }));
    /// let outcome = guarded.await;
    /// assert!(matches!(p.next(outcome).await, Step::Done(Ok(1))));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Unbounded<F> {
        #[pin]
        call: F,
    }
}

impl<F> Unbounded<F> {
    #[inline(always)]
    pub(super) const fn new(call: F) -> Self {
        Self { call }
    }
}

impl<T, E, F> Future for Unbounded<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Outcome<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().call.poll(cx).map(|r| Outcome(Ok(r)))
    }
}

pin_project! {
    /// One call under the deadline that covers it, if any: what
    /// [`Pipeline::guard`](super::Pipeline::guard) returns in a pipeline with a timeout
    /// layer. (A fallback agent called by a fallback layer inside the timeout runs
    /// uncovered.)
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{pipeline::{pipeline, Step}, TimedOut};
    /// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, E>>().timeout(Duration::from_secs(1));
    /// let _ = p.start().await;
    /// let outcome = p.guard(async { Ok(1) }).await;
    /// assert!(matches!(p.next(outcome).await, Step::Done(Ok(1))));
    /// # });
    /// ```
    #[project = GuardProj]
    // pin-project-lite takes no docs on variant fields: each holds the call.
    #[allow(missing_docs)]
    #[must_use = "futures do nothing unless polled"]
    pub enum Guard<F> {
        /// No deadline covers this call.
        Plain { #[pin] call: F },
        /// A deadline covers this call.
        Timed { #[pin] call: Timeout<F> },
    }
}

impl<T, E, F> Future for Guard<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Outcome<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardProj::Plain { call } => call.poll(cx).map(|r| Outcome(Ok(r))),
            GuardProj::Timed { call } => call.poll(cx).map(Outcome),
        }
    }
}

/// [`Watched`]'s record of where the call stands, kept by the circuit layer.
pub(super) const UNWATCHED: u8 = 0;
/// Between polls of the call (or before the first).
pub(super) const IDLE: u8 = 1;
/// Inside a poll of the call: still set after the poll means it unwound.
pub(super) const POLLING: u8 = 2;

pin_project! {
    /// A guarded call whose own panics are told apart from a sibling's: what
    /// [`Pipeline::guard`](super::Pipeline::guard) returns under a circuit layer.
    ///
    /// A pipeline dropped while its thread panics used to count a failure even when the
    /// panic was another future's in the same task (`join!`, `select!`), opening a
    /// healthy service's breaker. This notes when a poll of *this* call is running; the
    /// circuit layer cancels its permit instead when the panic came from elsewhere.
    ///
    /// ```
    /// # use resilience_core::{pipeline::{pipeline, Step}, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// let mut p = pipeline::<Result<u8, E>>().circuit(&breaker, |_| true);
    /// let _ = p.start().await;
    /// let outcome = p.guard(async { Ok(1) }).await;
    /// assert!(matches!(p.next(outcome).await, Step::Done(Ok(1))));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Watched<'s, G> {
        #[pin]
        guard: G,
        call: &'s AtomicU8,
    }
}

impl<'s, G> Watched<'s, G> {
    pub(super) fn new(guard: G, call: &'s AtomicU8) -> Self {
        call.store(IDLE, Relaxed);
        Self { guard, call }
    }
}

impl<G: Future> Future for Watched<'_, G> {
    type Output = G::Output;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // An atomic only so that the future stays `Send`; one task touches it, so
        // `Relaxed` (a plain store on x86).
        this.call.store(POLLING, Relaxed);
        let poll = this.guard.poll(cx);
        this.call.store(IDLE, Relaxed);
        poll
    }
}
