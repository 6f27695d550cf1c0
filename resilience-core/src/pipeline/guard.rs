//! The future that applies a pipeline's deadline to one call.

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
    fn from(result: Result<T, E>) -> Self {
        Outcome(Ok(result))
    }
}

pin_project! {
    /// One call under the deadline that covers it, if any. Returned by
    /// [`Pipeline::guard`](super::Pipeline::guard).
    ///
    /// ```
    /// # use resilience_core::pipeline::pipeline;
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>();
    /// let _ = p.start().await;
    /// let outcome = p.guard(async { Ok(1) }).await;
    /// assert!(matches!(p.next(outcome).await, resilience_core::pipeline::Step::Done(Ok(1))));
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardProj::Plain { call } => call.poll(cx).map(|r| Outcome(Ok(r))),
            GuardProj::Timed { call } => call.poll(cx).map(Outcome),
        }
    }
}
