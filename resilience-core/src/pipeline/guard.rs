//! The futures [`Pipeline::guard`](super::Pipeline::guard) returns, and what they give back.

use core::future::Future;
use core::pin::Pin;
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
