//! The future that applies a pipeline's deadline to one call.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
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
    /// It also notes whether the call's own poll unwound: a pipeline dropped during a
    /// panic counts a failure only when the panic was its call's, not a sibling's in
    /// the same task (`join!`, `select!`).
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
    #[must_use = "futures do nothing unless polled"]
    pub struct Guard<'p, F> {
        #[pin]
        call: Deadline<F>,
        call_panicked: &'p AtomicBool,
    }
}

pin_project! {
    #[project = DeadlineProj]
    enum Deadline<F> {
        Plain { #[pin] call: F },
        Timed { #[pin] call: Timeout<F> },
    }
}

impl<'p, F> Guard<'p, F> {
    pub(super) fn plain(call: F, call_panicked: &'p AtomicBool) -> Self {
        Guard {
            call: Deadline::Plain { call },
            call_panicked,
        }
    }

    pub(super) fn timed(call: Timeout<F>, call_panicked: &'p AtomicBool) -> Self {
        Guard {
            call: Deadline::Timed { call },
            call_panicked,
        }
    }
}

impl<T, E, F> Future for Guard<'_, F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Outcome<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // Set around the poll and cleared after it: still set when the poll unwinds.
        // An atomic only so that the guard stays `Send`; one task touches it, hence
        // `Relaxed` (a plain store on x86).
        this.call_panicked.store(true, Relaxed);
        let poll = match this.call.project() {
            DeadlineProj::Plain { call } => call.poll(cx).map(|r| Outcome(Ok(r))),
            DeadlineProj::Timed { call } => call.poll(cx).map(Outcome),
        };
        this.call_panicked.store(false, Relaxed);
        poll
    }
}
