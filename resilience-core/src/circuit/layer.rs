//! The circuit-breaker layer of a pipeline: one [`Permit`] per pass through the stack
//! below it.
//!
//! # Whose panic
//!
//! A [`Permit`] dropped while its thread is panicking counts as a failure, because it
//! cannot tell whether the panic came from its own call. The layer can: the call's
//! guard ([`Watched`]) notes when a poll of *this* call is running, so a layer dropped
//! during someone else's unwinding (a sibling future in the same `join!` or `select!`)
//! hands its permit back as a cancellation instead of failing a healthy service.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
use core::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::permit::{Settled, Ticket};
use super::{CircuitBreaker, CircuitOpen};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};

/// `E` can carry a [`CircuitOpen`] rejection.
///
/// Implemented for every `E: From<CircuitOpen>`; it exists to say what to add when
/// that impl is missing.
///
/// ```
/// use resilience_core::circuit::{CircuitOpen, FromCircuitOpen};
///
/// #[derive(Debug)]
/// enum ApiError { Open(CircuitOpen) }
/// impl From<CircuitOpen> for ApiError {
///     fn from(e: CircuitOpen) -> Self { ApiError::Open(e) }
/// }
/// fn needs<E: FromCircuitOpen>() {}
/// needs::<ApiError>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[circuit]` needs `{Self}: From<CircuitOpen>` to return a rejected call as an error",
    label = "this error type cannot carry `CircuitOpen`",
    note = "add `impl From<resilience::CircuitOpen> for {Self}` (with thiserror: a variant `#[error(transparent)] Open(#[from] resilience::CircuitOpen)`); if `{Self}` belongs to another crate, return an error type of your own that wraps it"
)]
pub trait FromCircuitOpen: From<CircuitOpen> {}
impl<E: From<CircuitOpen>> FromCircuitOpen for E {}

/// `#[circuit]`'s layer: everything below it is one call of a [`CircuitBreaker`].
///
/// `counts` says which errors count as failures; the others pass through and count as
/// neither. A rejection is answered with `E::from(CircuitOpen)` and its `retry_in`, so
/// a retry above waits it out.
///
/// ```
/// use resilience_core::{circuit::CircuitLayer, pipeline::pipeline, CircuitBreaker, CircuitOpen};
/// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
///
/// let breaker = CircuitBreaker::builder().name("llm").build().unwrap();
/// let p = pipeline::<Result<(), E>>().layer(CircuitLayer::new(&breaker, |_: &E| true)).build();
/// # let _ = p;
/// ```
pub struct CircuitLayer<'a, E, Counts> {
    breaker: &'a CircuitBreaker,
    counts: Counts,
    /// `E::from`, taken where `E: From<CircuitOpen>` is checked, so a missing impl is
    /// one error at the builder call, not one per method the expansion calls. (A
    /// pointer: as an `impl Fn` it would take no space, but a missing impl would be
    /// reported twice.)
    open: fn(CircuitOpen) -> E,
    /// `counts(error)`, likewise taken where `Counts: Fn(&E) -> bool` is checked: the
    /// layer carries no bound, so a `when` of the wrong type is one error.
    test: fn(&Counts, &E) -> bool,
}

impl<'a, E, Counts> CircuitLayer<'a, E, Counts> {
    /// The layer for `breaker`, counting the errors `counts` accepts as failures.
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitLayer, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    ///
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// let layer = CircuitLayer::<E, _>::new(&breaker, |_: &E| true);
    /// # let _ = layer;
    /// ```
    pub fn new(breaker: &'a CircuitBreaker, counts: Counts) -> Self
    where
        E: FromCircuitOpen,
        Counts: Fn(&E) -> bool,
    {
        CircuitLayer {
            breaker,
            counts,
            open: E::from,
            test: |counts, error| counts(error),
        }
    }
}

impl<'a, T, E, Counts> Layer<T, E> for CircuitLayer<'a, E, Counts> {
    type Stack<S: Stack<T, E>> = CircuitStack<'a, E, Counts, S>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> CircuitStack<'a, E, Counts, S> {
        CircuitStack {
            breaker: self.breaker,
            held: None,
            counts: self.counts,
            call: AtomicU8::new(UNWATCHED),
            open: self.open,
            test: self.test,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a circuit-breaker layer: everything added after it is one call of
    /// `breaker` (see [`CircuitLayer`]).
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    /// let breaker = CircuitBreaker::builder().name("llm").build().unwrap();
    /// let p = pipeline::<Result<(), E>>().circuit(&breaker, |_| true).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn circuit<Counts: Fn(&E) -> bool>(
        self,
        breaker: &CircuitBreaker,
        counts: Counts,
    ) -> Builder<T, E, Then<L, CircuitLayer<'_, E, Counts>>>
    where
        E: FromCircuitOpen,
    {
        self.layer(CircuitLayer::new(breaker, counts))
    }
}

/// A [`CircuitLayer`] around the stack `S`.
pub struct CircuitStack<'a, E, Counts, S> {
    breaker: &'a CircuitBreaker,
    /// The admission of the call in flight. Still held when the stack is dropped: the
    /// call was cancelled (an outer deadline, a dropped future), or it panicked.
    held: Option<Ticket>,
    counts: Counts,
    /// Where the guarded call stands ([`Watched`]): `UNWATCHED` for blocking calls.
    call: AtomicU8,
    open: fn(CircuitOpen) -> E,
    test: fn(&Counts, &E) -> bool,
    inner: S,
}

impl<E, Counts, S> Drop for CircuitStack<'_, E, Counts, S> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(ticket) = self.held {
            self.abandoned(ticket);
        }
    }
}

impl<E, Counts, S> CircuitStack<'_, E, Counts, S> {
    /// Dropped with a call in flight. During a panic that unwound out of the call's
    /// own poll, or of a blocking call (never watched: a panic while its pipeline lives
    /// can only be its own), that is a failure; otherwise, a sibling future's panic
    /// included, a cancellation.
    #[cold]
    #[inline(never)]
    fn abandoned(&self, ticket: Ticket) {
        let own_panic = std::thread::panicking() && self.call.load(Relaxed) != IDLE;
        let settled = if own_panic {
            Settled::Failure
        } else {
            Settled::Neither
        };
        self.breaker.settle(ticket, settled);
    }
}

impl<E, Counts, S> CircuitStack<'_, E, Counts, S> {
    /// Records what the stack below answered.
    #[inline(always)]
    fn up<T>(&mut self, step: Step<T, E>) -> Step<T, E> {
        if let Step::Done { result, .. } = &step {
            if let Some(ticket) = self.held.take() {
                match result {
                    Ok(_) => self.breaker.settle(ticket, Settled::Success),
                    Err(error) => self.failed(ticket, error),
                }
            }
        }
        step
    }

    /// The call below failed: a failure if `counts` says so, else nothing.
    #[cold]
    #[inline(never)]
    fn failed(&self, ticket: Ticket, error: &E) {
        let settled = if (self.test)(&self.counts, error) {
            Settled::Failure
        } else {
            Settled::Neither
        };
        self.breaker.settle(ticket, settled);
    }
}

impl<T, E, Counts, S: Stack<T, E>> Stack<T, E> for CircuitStack<'_, E, Counts, S> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = Watched<'s, S::Guard<'s, F>>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        match self.breaker.try_acquire() {
            Ok(permit) => {
                self.held = Some(permit.into_ticket());
                let step = self.inner.enter();
                self.up(step)
            }
            Err(open) => rejected(self.open, open),
        }
    }

    #[inline(always)]
    fn guard<'s, F: Future<Output = Result<T, E>>>(
        &'s self,
        call: F,
    ) -> Watched<'s, S::Guard<'s, F>> {
        Watched::new(self.inner.guard(call), &self.call)
    }

    #[inline(always)]
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        let step = self.inner.leave(outcome);
        self.up(step)
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        let step = ready!(self.inner.poll_wait(cx));
        Poll::Ready(self.up(step))
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        let step = self.inner.wait_blocking();
        self.up(step)
    }

    fn cancel(&mut self) {
        // Cancelled calls count as nothing.
        if let Some(ticket) = self.held.take() {
            self.breaker.settle(ticket, Settled::Neither);
        }
        self.inner.cancel();
    }
}

/// The rejection, as the answer of the layer: a retry above waits `retry_in` out.
#[cold]
#[inline(never)]
fn rejected<T, E>(from: fn(CircuitOpen) -> E, open: CircuitOpen) -> Step<T, E> {
    let retry_in = Some(open.retry_in());
    Step::Done {
        result: Err(from(open)),
        retry_in,
    }
}

/// [`Watched`]'s record of where the call stands, kept by the circuit layer.
const UNWATCHED: u8 = 0;
/// Between polls of the call (or before the first).
const IDLE: u8 = 1;
/// Inside a poll of the call: still set after the poll means it unwound.
const POLLING: u8 = 2;

pin_project! {
    /// A guarded call whose own panics are told apart from a sibling's: what the
    /// circuit layer's [`guard`](Stack::guard) returns.
    ///
    /// ```
    /// # use resilience_core::{pipeline::{pipeline, Flow}, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// let mut p = pipeline::<Result<u8, E>>().circuit(&breaker, |_| true).build();
    /// let _ = p.enter();
    /// let outcome = p.guard(async { Ok(1) }).await;
    /// assert!(matches!(p.leave(outcome), Flow::Done(Ok(1))));
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
    fn new(guard: G, call: &'s AtomicU8) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Body, PipelineContext};

    #[test]
    fn the_layer_holds_the_breaker_and_at_most_a_ticket() {
        // The breaker (8); the ticket of the call in flight (8); `E::from` and the
        // filter's test (8 each); the flag that tells the call's own panic from a
        // sibling's (1, padded); the filter itself takes no space.
        #[derive(Debug)]
        struct E;
        impl From<CircuitOpen> for E {
            fn from(_: CircuitOpen) -> Self {
                E
            }
        }
        let breaker = CircuitBreaker::builder().build().unwrap();
        let layer = CircuitLayer::new(&breaker, |_: &E| true);
        let stack = Layer::<(), E>::wrap(layer, Body::new(), &PipelineContext::new("test"));
        assert_eq!(size_of_val(&stack), 40);
    }
}
