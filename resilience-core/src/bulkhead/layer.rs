//! The bulkhead layer of a pipeline: everything below it runs holding one permit.

use core::future::Future;
use core::task::{Context, Poll, ready};

use super::waiting::{Admission, Waiting};
use super::{Bulkhead, BulkheadFull, Permit};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};

/// `E` can carry a [`BulkheadFull`] refusal.
///
/// Implemented for every `E: From<BulkheadFull>`; it exists to say what to add when that
/// impl is missing.
///
/// ```
/// use resilience_core::bulkhead::{BulkheadFull, FromBulkheadFull};
///
/// #[derive(Debug)]
/// enum ApiError { Full(BulkheadFull) }
/// impl From<BulkheadFull> for ApiError {
///     fn from(e: BulkheadFull) -> Self { ApiError::Full(e) }
/// }
/// fn needs<E: FromBulkheadFull>() {}
/// needs::<ApiError>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[bulkhead]` needs `{Self}: From<BulkheadFull>` to return a refused call as an error",
    label = "this error type cannot carry `BulkheadFull`",
    note = "add `impl From<resilience::BulkheadFull> for {Self}` (with thiserror: a variant `#[error(transparent)] Full(#[from] resilience::BulkheadFull)`); if `{Self}` belongs to another crate, return an error type of your own that wraps it"
)]
pub trait FromBulkheadFull: From<BulkheadFull> {}
impl<E: From<BulkheadFull>> FromBulkheadFull for E {}

/// `#[bulkhead]`'s layer: everything below it runs holding one permit of a [`Bulkhead`].
///
/// When every permit is held the call waits in the bulkhead's queue ([`Step::Wait`]) or,
/// when the queue is full or the wait reaches `max_wait`, is answered with
/// `E::from(BulkheadFull)`. The permit is released when the stack below has its answer,
/// when the call is cancelled, and when the pipeline is dropped (a dropped future, a
/// panic). Under a retry, each attempt takes a permit of its own; above it, one permit
/// covers every attempt and the waits between them.
///
/// ```
/// use resilience_core::bulkhead::{Bulkhead, BulkheadFull, BulkheadLayer};
/// use resilience_core::pipeline::pipeline;
/// # #[derive(Debug)] struct E; impl From<BulkheadFull> for E { fn from(_: BulkheadFull) -> Self { E } }
///
/// let bulkhead = Bulkhead::builder().max(4).build().unwrap();
/// let p = pipeline::<Result<(), E>>().layer(BulkheadLayer::new(&bulkhead)).build();
/// # let _ = p;
/// ```
pub struct BulkheadLayer<'a, E> {
    bulkhead: &'a Bulkhead,
    /// `E::from`, taken where `E: From<BulkheadFull>` is checked, so a missing impl is
    /// one error at the builder call.
    full: fn(BulkheadFull) -> E,
}

impl<'a, E> BulkheadLayer<'a, E> {
    /// The layer for `bulkhead`.
    ///
    /// ```
    /// use resilience_core::bulkhead::{Bulkhead, BulkheadFull, BulkheadLayer};
    /// # #[derive(Debug)] struct E; impl From<BulkheadFull> for E { fn from(_: BulkheadFull) -> Self { E } }
    ///
    /// let bulkhead = Bulkhead::builder().build().unwrap();
    /// let layer = BulkheadLayer::<E>::new(&bulkhead);
    /// # let _ = layer;
    /// ```
    pub fn new(bulkhead: &'a Bulkhead) -> Self
    where
        E: FromBulkheadFull,
    {
        BulkheadLayer {
            bulkhead,
            full: E::from,
        }
    }
}

impl<'a, T, E> Layer<T, E> for BulkheadLayer<'a, E> {
    type Stack<S: Stack<T, E>> = BulkheadStack<'a, E, S>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> BulkheadStack<'a, E, S> {
        BulkheadStack {
            bulkhead: self.bulkhead,
            full: self.full,
            permit: None,
            waiting: None,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a bulkhead layer: everything added after it runs holding a permit of
    /// `bulkhead` (see [`BulkheadLayer`]).
    ///
    /// ```
    /// # use resilience_core::{bulkhead::{Bulkhead, BulkheadFull}, pipeline::pipeline};
    /// # #[derive(Debug)] struct E; impl From<BulkheadFull> for E { fn from(_: BulkheadFull) -> Self { E } }
    /// let bulkhead = Bulkhead::builder().max(1).build().unwrap();
    /// let mut p = pipeline::<Result<u32, E>>().bulkhead(&bulkhead).build();
    /// let answer = p.run_blocking(|_| {
    ///     assert_eq!(bulkhead.in_use(), 1); // the call holds the permit
    ///     Ok(7)
    /// });
    /// assert_eq!(answer.unwrap(), 7);
    /// assert_eq!(bulkhead.in_use(), 0);
    /// ```
    #[inline(always)]
    pub fn bulkhead(self, bulkhead: &Bulkhead) -> Builder<T, E, Then<L, BulkheadLayer<'_, E>>>
    where
        E: FromBulkheadFull,
    {
        self.layer(BulkheadLayer::new(bulkhead))
    }
}

/// A [`BulkheadLayer`] around the stack `S`.
pub struct BulkheadStack<'a, E, S> {
    bulkhead: &'a Bulkhead,
    full: fn(BulkheadFull) -> E,
    /// The permit of the call in flight; dropped with the stack.
    permit: Option<Permit<'a>>,
    /// The call's place in the queue while it waits (dropped: it leaves).
    waiting: Option<Box<Waiting<'a>>>,
    inner: S,
}

impl<'a, E, S> BulkheadStack<'a, E, S> {
    /// Holding a permit: on to the stack below.
    #[inline(always)]
    fn go<T>(&mut self, permit: Permit<'a>) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        self.permit = Some(permit);
        let step = self.inner.enter();
        self.up(step)
    }

    /// Releases the permit once the stack below has its answer.
    #[inline(always)]
    fn up<T>(&mut self, step: Step<T, E>) -> Step<T, E> {
        if let Step::Done { .. } = step {
            self.permit = None;
        }
        step
    }

    /// What the wait ended with.
    #[cold]
    fn waited<T>(&mut self, answer: Result<Permit<'a>, BulkheadFull>) -> Step<T, E>
    where
        S: Stack<T, E>,
    {
        self.waiting = None;
        match answer {
            Ok(permit) => self.go(permit),
            Err(full) => refused(self.full, full),
        }
    }
}

impl<T, E, S: Stack<T, E>> Stack<T, E> for BulkheadStack<'_, E, S> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = S::Guard<'s, F>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        match self.bulkhead.admit() {
            Admission::Now(permit) => self.go(permit),
            Admission::Queued(waiting) => {
                self.waiting = Some(Box::new(waiting));
                Step::Wait
            }
            Admission::Refused(full) => refused(self.full, full),
        }
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
        if let Some(waiting) = &mut self.waiting {
            let answer = ready!(waiting.poll(cx));
            return Poll::Ready(self.waited(answer));
        }
        let step = ready!(self.inner.poll_wait(cx));
        Poll::Ready(self.up(step))
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        if let Some(waiting) = &mut self.waiting {
            let answer = waiting.wait_blocking();
            return self.waited(answer);
        }
        let step = self.inner.wait_blocking();
        self.up(step)
    }

    fn cancel(&mut self) {
        self.waiting = None;
        self.permit = None;
        self.inner.cancel();
    }
}

/// The refusal, as the answer of the layer. No `retry_in`: a bulkhead cannot tell when a
/// permit will be free, so a retry above uses its own backoff.
#[cold]
#[inline(never)]
fn refused<T, E>(from: fn(BulkheadFull) -> E, full: BulkheadFull) -> Step<T, E> {
    Step::done(Err(from(full)))
}
