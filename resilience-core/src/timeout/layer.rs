//! The timeout layer of a pipeline: one deadline over everything below it.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, ready};
use core::time::Duration;

use pin_project_lite::pin_project;
use tokio::task::coop::unconstrained;
use tokio::time::{Instant, Sleep};

use super::{TimedOut, Timeout};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};

/// `E` can carry a [`TimedOut`] error.
///
/// Implemented for every `E: From<TimedOut>`; it exists to say what to add when that
/// impl is missing.
///
/// ```
/// use resilience_core::{timeout::FromTimedOut, TimedOut};
///
/// #[derive(Debug)]
/// enum ApiError { Timeout(TimedOut) }
/// impl From<TimedOut> for ApiError {
///     fn from(e: TimedOut) -> Self { ApiError::Timeout(e) }
/// }
/// fn needs<E: FromTimedOut>() {}
/// needs::<ApiError>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[timeout]` needs `{Self}: From<TimedOut>` to return an expired call as an error",
    label = "this error type cannot carry `TimedOut`",
    note = "add `impl From<resilience::TimedOut> for {Self}` (with thiserror: a variant `#[error(transparent)] Timeout(#[from] resilience::TimedOut)`); if `{Self}` belongs to another crate, return an error type of your own that wraps it"
)]
pub trait FromTimedOut: From<TimedOut> {}
impl<E: From<TimedOut>> FromTimedOut for E {}

/// `#[timeout]`'s layer: everything below it must finish within `after`.
///
/// The deadline is fixed when the layer is entered, as `tokio::time::timeout` fixes it
/// when it is created: synchronous work before the call's first `.await` counts. It
/// covers the calls below it and every wait in between (a retry's delays), and when it
/// passes, what runs below is dropped (a breaker below counts the call as cancelled)
/// and the layer answers `Err(E::from(TimedOut))`. A blocking function's waits are not
/// bounded: a thread cannot be interrupted.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{pipeline::pipeline, timeout::TimeoutLayer, TimedOut};
/// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
///
/// let p = pipeline::<Result<(), E>>().layer(TimeoutLayer::new(Duration::from_secs(10))).build();
/// # let _ = p;
/// ```
pub struct TimeoutLayer<E> {
    after: Duration,
    /// `E::from`, taken where `E: From<TimedOut>` is checked (with a message that says
    /// what to add), so a missing impl is one error at the builder call. (A pointer:
    /// as an `impl Fn` it would take no space, but a missing impl would be reported
    /// twice.)
    timed_out: fn(TimedOut) -> E,
}

impl<E> TimeoutLayer<E> {
    /// The layer for a deadline `after` the layer is entered.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::{timeout::TimeoutLayer, TimedOut};
    /// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    ///
    /// let layer = TimeoutLayer::<E>::new(Duration::from_secs(10));
    /// # let _ = layer;
    /// ```
    pub fn new(after: Duration) -> Self
    where
        E: FromTimedOut,
    {
        TimeoutLayer {
            after,
            timed_out: E::from,
        }
    }
}

impl<T, E> Layer<T, E> for TimeoutLayer<E> {
    type Stack<S: Stack<T, E>> = TimeoutStack<E, S>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> TimeoutStack<E, S> {
        TimeoutStack {
            after: self.after,
            deadline: None,
            timed_out: self.timed_out,
            sleep: None,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a timeout layer: everything added after it must finish within `after`
    /// (see [`TimeoutLayer`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{pipeline::pipeline, TimedOut};
    /// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    /// let p = pipeline::<Result<(), E>>().timeout(Duration::from_secs(10)).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn timeout(self, after: Duration) -> Builder<T, E, Then<L, TimeoutLayer<E>>>
    where
        E: FromTimedOut,
    {
        self.layer(TimeoutLayer::new(after))
    }
}

/// A [`TimeoutLayer`] around the stack `S`.
pub struct TimeoutStack<E, S> {
    after: Duration,
    /// Fixed on entry; `None` when it does not fit in an [`Instant`] (never expires).
    deadline: Option<Instant>,
    timed_out: fn(TimedOut) -> E,
    /// The deadline's timer while the stack below waits (a retry delay): made at the
    /// first such wait. A call's own timer lives in its guard.
    sleep: Option<Pin<Box<Sleep>>>,
    inner: S,
}

impl<E, S> TimeoutStack<E, S> {
    /// The deadline passed: drop what runs below and answer with the error.
    #[cold]
    #[inline(never)]
    fn expire<T>(&mut self, timed_out: TimedOut) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        #[cfg(feature = "metrics")]
        crate::metrics::event("timeout", "timeout", "timeout");
        self.inner.cancel();
        Step::done(Err((self.timed_out)(timed_out)))
    }
}

impl<T, E, S: Stack<T, E>> Stack<T, E> for TimeoutStack<E, S> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = Deadline<S::Guard<'s, F>>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        self.deadline = Instant::now().checked_add(self.after);
        self.inner.enter()
    }

    #[inline(always)]
    fn guard<'s, F: Future<Output = Result<T, E>>>(&'s self, call: F) -> Deadline<S::Guard<'s, F>> {
        let call = self.inner.guard(call);
        let timeout = match self.deadline {
            Some(deadline) => Timeout::new_at(deadline, self.after, call),
            None => Timeout::never(self.after, call),
        };
        Deadline {
            timeout,
            height: Self::HEIGHT,
        }
    }

    #[inline(always)]
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        match outcome.expired_at(Self::HEIGHT) {
            Ok(timed_out) => self.expire(timed_out),
            Err(outcome) => self.inner.leave(outcome),
        }
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        if let Poll::Ready(step) = self.inner.poll_wait(cx) {
            return Poll::Ready(step);
        }
        // The stack below waits; the deadline still runs.
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        let sleep = match &mut self.sleep {
            Some(sleep) => {
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                sleep
            }
            None => self
                .sleep
                .insert(Box::pin(tokio::time::sleep_until(deadline))),
        };
        // Outside tokio's coop budget, as `Timeout` polls its timer.
        ready!(Pin::new(&mut unconstrained(sleep.as_mut())).poll(cx));
        tracing::warn!(target: "resilience", after = ?self.after, "timed out");
        Poll::Ready(self.expire(TimedOut::new(self.after, deadline)))
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        self.inner.wait_blocking()
    }

    fn cancel(&mut self) {
        self.inner.cancel();
    }
}

pin_project! {
    /// A call under a timeout layer's deadline: what its [`guard`](Stack::guard)
    /// returns. When the deadline passes first, the call is dropped and the outcome
    /// says which layer's deadline it was.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{pipeline::{pipeline, Flow}, TimedOut};
    /// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, E>>().timeout(Duration::from_secs(1)).build();
    /// let _ = p.enter();
    /// let outcome = p.guard(std::future::pending()).await;
    /// assert!(matches!(p.leave(outcome), Flow::Done(Err(E))));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct Deadline<G> {
        #[pin]
        timeout: Timeout<G>,
        height: u32,
    }
}

impl<T, E, G: Future<Output = Outcome<T, E>>> Future for Deadline<G> {
    type Output = Outcome<T, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T, E>> {
        let this = self.project();
        match ready!(this.timeout.poll(cx)) {
            Ok(outcome) => Poll::Ready(outcome),
            Err(timed_out) => Poll::Ready(Outcome::expired(*this.height, timed_out)),
        }
    }
}
