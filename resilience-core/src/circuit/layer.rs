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
use core::time::Duration;

use pin_project_lite::pin_project;

use super::permit::{Settled, Ticket};
use super::{CircuitBreaker, CircuitOpen};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};
use crate::retry::{NoRetryAfter, RetryAfter};

/// What a circuit layer calls through: a breaker reference, a held member of a keyed
/// family, or nothing (a full family let the call through uncovered).
///
/// ```
/// use resilience_core::circuit::{BreakerRef, CircuitBreaker};
///
/// let breaker = CircuitBreaker::builder().build()?;
/// assert!((&breaker).breaker().is_some());
/// assert!(None::<&CircuitBreaker>.breaker().is_none());
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub trait BreakerRef {
    /// The breaker, if there is one for this call.
    fn breaker(&self) -> Option<&CircuitBreaker>;
}

impl BreakerRef for &CircuitBreaker {
    #[inline(always)]
    fn breaker(&self) -> Option<&CircuitBreaker> {
        Some(self)
    }
}

/// A breaker behind a smart pointer: `&Arc<CircuitBreaker>`, `&LazyLock<CircuitBreaker>`.
impl<T: core::ops::Deref<Target = CircuitBreaker>> BreakerRef for &T {
    #[inline(always)]
    fn breaker(&self) -> Option<&CircuitBreaker> {
        Some(self)
    }
}

impl<B: BreakerRef> BreakerRef for Option<B> {
    #[inline(always)]
    fn breaker(&self) -> Option<&CircuitBreaker> {
        self.as_ref().and_then(B::breaker)
    }
}

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
/// neither. `retry_after` reads a server delay out of a counted failure (a `429`'s
/// `Retry-After`): a breaker it opens stays open at least that long. A rejection is
/// answered with `E::from(CircuitOpen)` and its `retry_in`, so a retry above waits it
/// out.
///
/// ```
/// use resilience_core::{circuit::CircuitLayer, pipeline::pipeline, CircuitBreaker, CircuitOpen};
/// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
///
/// let breaker = CircuitBreaker::builder().name("llm").build().unwrap();
/// let p = pipeline::<Result<(), E>>().layer(CircuitLayer::new(&breaker, |_: &E| true)).build();
/// # let _ = p;
/// ```
pub struct CircuitLayer<B, E, Counts, RA = NoRetryAfter> {
    breaker: B,
    counts: Counts,
    retry_after: RA,
    /// `counts(error)` and `retry_after(error)`, taken where their bounds are checked:
    /// the layer and its stack carry none, so a `when` or `retry_after` of the wrong
    /// type is one error, at the builder call.
    test: fn(&Counts, &E) -> bool,
    read: fn(&mut RA, &E) -> Option<Duration>,
    /// `E::from`, taken where `E: From<CircuitOpen>` is checked, so a missing impl is
    /// one error at the builder call, not one per method the expansion calls. (A
    /// pointer: as an `impl Fn` it would take no space, but a missing impl would be
    /// reported twice.)
    open: fn(CircuitOpen) -> E,
}

impl<B, E, Counts> CircuitLayer<B, E, Counts> {
    /// The layer for `breaker`, counting the errors `counts` accepts as failures.
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitLayer, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    ///
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// let layer = CircuitLayer::<_, E, _>::new(&breaker, |_: &E| true);
    /// # let _ = layer;
    /// ```
    pub fn new(breaker: B, counts: Counts) -> Self
    where
        E: FromCircuitOpen,
        Counts: Fn(&E) -> bool,
    {
        CircuitLayer {
            breaker,
            counts,
            retry_after: NoRetryAfter,
            test: |counts, error| counts(error),
            read: |_, _| None,
            open: E::from,
        }
    }

    /// Reads a server delay out of each counted failure (see [`CircuitLayer`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::{circuit::CircuitLayer, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    ///
    /// let breaker = CircuitBreaker::builder().build().unwrap();
    /// let layer = CircuitLayer::<_, E, _>::new(&breaker, |_: &E| true)
    ///     .retry_after(|_: &E| Some(Duration::from_secs(60)));
    /// # let _ = layer;
    /// ```
    pub fn retry_after<RA: RetryAfter<E>>(self, retry_after: RA) -> CircuitLayer<B, E, Counts, RA> {
        CircuitLayer {
            breaker: self.breaker,
            counts: self.counts,
            retry_after,
            test: self.test,
            read: RA::retry_after,
            open: self.open,
        }
    }
}

impl<T, E, B: BreakerRef, Counts, RA> Layer<T, E> for CircuitLayer<B, E, Counts, RA> {
    type Stack<S: Stack<T, E>> = CircuitStack<B, E, Counts, S, RA>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> Self::Stack<S> {
        CircuitStack {
            breaker: self.breaker,
            held: None,
            started: 0,
            counts: self.counts,
            retry_after: self.retry_after,
            test: self.test,
            read: self.read,
            call: AtomicU8::new(UNWATCHED),
            open: self.open,
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
    pub fn circuit<B: BreakerRef, Counts: Fn(&E) -> bool>(
        self,
        breaker: B,
        counts: Counts,
    ) -> Builder<T, E, Then<L, CircuitLayer<B, E, Counts>>>
    where
        E: FromCircuitOpen,
    {
        self.layer(CircuitLayer::new(breaker, counts))
    }

    /// [`circuit`](Self::circuit) with a reader of server delays: a counted failure for
    /// which `retry_after` returns a delay keeps a breaker it opens open at least that
    /// long (see [`CircuitLayer::retry_after`]).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{pipeline::pipeline, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    /// let breaker = CircuitBreaker::builder().name("llm").build().unwrap();
    /// let p = pipeline::<Result<(), E>>()
    ///     .circuit_with(&breaker, |_| true, |_: &E| Some(Duration::from_secs(60)))
    ///     .build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn circuit_with<B: BreakerRef, Counts: Fn(&E) -> bool, RA: RetryAfter<E>>(
        self,
        breaker: B,
        counts: Counts,
        retry_after: RA,
    ) -> WithCircuit<T, E, L, CircuitLayer<B, E, Counts, RA>>
    where
        E: FromCircuitOpen,
    {
        self.layer(CircuitLayer::new(breaker, counts).retry_after(retry_after))
    }
}

/// A builder with one more layer.
type WithCircuit<T, E, L, Added> = Builder<T, E, Then<L, Added>>;

/// A [`CircuitLayer`] around the stack `S`.
pub struct CircuitStack<B: BreakerRef, E, Counts, S, RA = NoRetryAfter> {
    breaker: B,
    /// The admission of the call in flight. Still held when the stack is dropped: the
    /// call was cancelled (an outer deadline, a dropped future), or it panicked.
    held: Option<Ticket>,
    /// When the call in flight started, for a breaker that times calls.
    started: u64,
    counts: Counts,
    retry_after: RA,
    test: fn(&Counts, &E) -> bool,
    read: fn(&mut RA, &E) -> Option<Duration>,
    /// Where the guarded call stands ([`Watched`]): `UNWATCHED` for blocking calls.
    call: AtomicU8,
    open: fn(CircuitOpen) -> E,
    inner: S,
}

impl<B: BreakerRef, E, Counts, S, RA> Drop for CircuitStack<B, E, Counts, S, RA> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(ticket) = self.held {
            self.abandoned(ticket);
        }
    }
}

impl<B: BreakerRef, E, Counts, S, RA> CircuitStack<B, E, Counts, S, RA> {
    /// Dropped with a call in flight. During a panic that unwound out of the call's
    /// own poll, or of a blocking call (never watched: a panic while its pipeline lives
    /// can only be its own), that is a failure; otherwise, a sibling future's panic
    /// included, a cancellation.
    #[cold]
    #[inline(never)]
    fn abandoned(&self, ticket: Ticket) {
        let own_panic = std::thread::panicking() && self.call.load(Relaxed) != IDLE;
        let settled = if own_panic {
            Settled::Failure(None)
        } else {
            Settled::Neither
        };
        if let Some(breaker) = self.breaker.breaker() {
            breaker.settle(ticket, self.started, settled);
        }
    }

    /// Records what the stack below answered.
    #[inline(always)]
    fn up<T>(&mut self, step: Step<T, E>) -> Step<T, E> {
        if let Step::Done { result, .. } = &step {
            if let Some(ticket) = self.held.take() {
                match result {
                    Ok(_) => {
                        if let Some(breaker) = self.breaker.breaker() {
                            breaker.settle(ticket, self.started, Settled::Success);
                        }
                    }
                    Err(error) => self.failed(ticket, error),
                }
            }
        }
        step
    }

    /// The call below failed: a failure if `counts` says so (with the server's delay,
    /// if it gave one), else nothing.
    #[cold]
    #[inline(never)]
    fn failed(&mut self, ticket: Ticket, error: &E) {
        let settled = if (self.test)(&self.counts, error) {
            Settled::Failure((self.read)(&mut self.retry_after, error))
        } else {
            Settled::Neither
        };
        if let Some(breaker) = self.breaker.breaker() {
            breaker.settle(ticket, self.started, settled);
        }
    }
}

impl<T, E, B: BreakerRef, Counts, S: Stack<T, E>, RA> Stack<T, E>
    for CircuitStack<B, E, Counts, S, RA>
{
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = Watched<'s, S::Guard<'s, F>>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        let Some(breaker) = self.breaker.breaker() else {
            // No breaker for this call (a full keyed family): it goes through uncovered.
            return self.inner.enter();
        };
        match breaker.admit() {
            Ok((ticket, started)) => {
                self.held = Some(ticket);
                self.started = started;
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
            if let Some(breaker) = self.breaker.breaker() {
                breaker.settle(ticket, self.started, Settled::Neither);
            }
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
        // The breaker (8); the ticket of the call in flight (8: generation and probe
        // flag, the `Option` in the flag's niche) and its start instant for a timed
        // breaker (8); `E::from`, the filter's test and the delay's reader (8 each);
        // the flag that tells the call's own panic from a sibling's (1, padded); the
        // filter and the absent `retry_after` take no space.
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
        assert_eq!(size_of_val(&stack), 56);
    }
}
