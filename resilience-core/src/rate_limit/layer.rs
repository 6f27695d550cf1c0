//! The rate-limit layer of a pipeline: everything below it runs once the limiter admits
//! the call, and is reconciled with what it really used.

use core::future::Future;
use core::task::{Context, Poll, ready};

use super::admission::Admission;
use super::waiting::Waiting;
use super::{RateLimited, RateLimiter};
use crate::pipeline::{Builder, Layer, Outcome, PipelineContext, Stack, Step, Then};

/// `E` can carry a [`RateLimited`] refusal.
///
/// Implemented for every `E: From<RateLimited>`; it exists to say what to add when that
/// impl is missing.
///
/// ```
/// use resilience_core::rate_limit::{FromRateLimited, RateLimited};
///
/// #[derive(Debug)]
/// enum ApiError { Limited(RateLimited) }
/// impl From<RateLimited> for ApiError {
///     fn from(e: RateLimited) -> Self { ApiError::Limited(e) }
/// }
/// fn needs<E: FromRateLimited>() {}
/// needs::<ApiError>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[rate_limit]` needs `{Self}: From<RateLimited>` to return a refused call as an error",
    label = "this error type cannot carry `RateLimited`",
    note = "add `impl From<resilience::RateLimited> for {Self}` (with thiserror: a variant `#[error(transparent)] Limited(#[from] resilience::RateLimited)`); if `{Self}` belongs to another crate, return an error type of your own that wraps it"
)]
pub trait FromRateLimited: From<RateLimited> {}
impl<E: From<RateLimited>> FromRateLimited for E {}

/// A number of tokens, as a `cost = PATH` function returns it: any unsigned integer
/// (`u64`, `u32`, `usize`, ...; a `usize` above `u64::MAX` counts as `u64::MAX`).
///
/// ```
/// use resilience_core::rate_limit::Tokens;
///
/// assert_eq!("a prompt".len().tokens(), 8);
/// assert_eq!(1_200_u32.tokens(), 1_200);
/// ```
#[diagnostic::on_unimplemented(
    message = "`cost` returns `{Self}`, but a call's tokens are an unsigned integer",
    label = "this returns `{Self}`",
    note = "make the `cost` function return `u64` (or `u32`, `usize`): the tokens the call will use"
)]
pub trait Tokens {
    /// The count as a `u64`.
    fn tokens(self) -> u64;
}

macro_rules! tokens_from {
    ($($int:ty),*) => {$(
        impl Tokens for $int {
            #[inline(always)]
            fn tokens(self) -> u64 {
                u64::from(self)
            }
        }
    )*};
}

tokens_from!(u8, u16, u32, u64);

impl Tokens for usize {
    #[inline(always)]
    fn tokens(self) -> u64 {
        u64::try_from(self).unwrap_or(u64::MAX)
    }
}

/// Reads how many tokens a call really used from its result: `#[rate_limit(usage = PATH)]`
/// with a `fn(&Result<T, E>) -> Option<u64>`.
///
/// ```
/// use resilience_core::rate_limit::Usage;
///
/// struct Reply { tokens: u64 }
/// let mut used = |r: &Result<Reply, ()>| r.as_ref().ok().map(|reply| reply.tokens);
/// assert_eq!(used.usage(&Ok(Reply { tokens: 812 })), Some(812));
/// assert_eq!(used.usage(&Err(())), None);
/// ```
pub trait Usage<T, E> {
    /// The tokens the call used, when its result says; `None` keeps the estimate.
    fn usage(&mut self, result: &Result<T, E>) -> Option<u64>;
}

impl<T, E, F: FnMut(&Result<T, E>) -> Option<u64>> Usage<T, E> for F {
    #[inline]
    fn usage(&mut self, result: &Result<T, E>) -> Option<u64> {
        self(result)
    }
}

/// The default: no result says what it used, every call keeps its estimate.
///
/// ```
/// use resilience_core::rate_limit::{NoUsage, Usage};
///
/// assert_eq!(Usage::<u8, ()>::usage(&mut NoUsage, &Ok(1)), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoUsage;

impl<T, E> Usage<T, E> for NoUsage {
    #[inline(always)]
    fn usage(&mut self, _: &Result<T, E>) -> Option<u64> {
        None
    }
}

/// A limiter a [`RateLimitLayer`] can use: a `&RateLimiter`, or the [`KeyLimiter`](super::KeyLimiter) of one
/// key of a [`RateLimiters`](super::RateLimiters) family, which the layer holds so that
/// the family keeps it the key's until the call is over.
///
/// ```
/// use resilience_core::rate_limit::{LimiterRef, RateLimiter};
///
/// fn takes<'a>(_: impl LimiterRef<'a>) {}
/// let limiter = RateLimiter::builder().requests(5).build()?;
/// takes(&limiter);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub trait LimiterRef<'a> {
    /// What keeps the limiter valid while the layer uses it.
    #[doc(hidden)]
    type Pin;

    /// The limiter, and its pin.
    ///
    /// # Safety
    ///
    /// The reference must not be used once the pin is dropped.
    #[doc(hidden)]
    unsafe fn split(self) -> (&'a RateLimiter, Self::Pin);
}

impl<'a> LimiterRef<'a> for &'a RateLimiter {
    type Pin = ();

    #[inline(always)]
    unsafe fn split(self) -> (&'a RateLimiter, ()) {
        (self, ())
    }
}

/// `#[rate_limit]`'s layer: everything below it is one call of a [`RateLimiter`], which
/// takes one request and `tokens` tokens (the call's estimate) before it runs.
///
/// The call waits for capacity when the limiter says so ([`Step::Wait`]), and a refusal
/// is answered with `E::from(RateLimited)` and its `retry_in`, so a retry above waits it
/// out. Once the stack below has its answer, `usage` reads what the call really used and
/// the limiter is [reconciled](RateLimiter::reconcile). Under a retry, each attempt is
/// one call of the limiter.
///
/// ```
/// use resilience_core::rate_limit::{NoUsage, RateLimitLayer, RateLimited, RateLimiter};
/// use resilience_core::pipeline::pipeline;
/// # #[derive(Debug)] struct E; impl From<RateLimited> for E { fn from(_: RateLimited) -> Self { E } }
///
/// let limiter = RateLimiter::builder().name("llm").requests(60).build().unwrap();
/// let p = pipeline::<Result<(), E>>().layer(RateLimitLayer::new(&limiter, 0, NoUsage)).build();
/// # let _ = p;
/// ```
pub struct RateLimitLayer<'a, E, U, P = ()> {
    limiter: &'a RateLimiter,
    pin: P,
    tokens: u64,
    usage: U,
    /// `E::from`, taken where `E: From<RateLimited>` is checked, so a missing impl is one
    /// error at the builder call.
    limited: fn(RateLimited) -> E,
}

impl<'a, E, U, P> RateLimitLayer<'a, E, U, P> {
    /// The layer for `limiter`, for calls that estimate `tokens` tokens (ignored by a
    /// limiter without a token limit) and report their usage through `usage`.
    ///
    /// ```
    /// use resilience_core::rate_limit::{NoUsage, RateLimitLayer, RateLimited, RateLimiter};
    /// # #[derive(Debug)] struct E; impl From<RateLimited> for E { fn from(_: RateLimited) -> Self { E } }
    ///
    /// let limiter = RateLimiter::builder().tokens(90_000).build().unwrap();
    /// let layer = RateLimitLayer::<E, _>::new(&limiter, 1_200, NoUsage);
    /// # let _ = layer;
    /// ```
    pub fn new<R: LimiterRef<'a, Pin = P>>(limiter: R, tokens: u64, usage: U) -> Self
    where
        E: FromRateLimited,
    {
        // SAFETY: the layer, then its stack, keeps the pin as long as it keeps the
        // reference (the stack's `pin` is its last field: dropped after its wait).
        let (limiter, pin) = unsafe { limiter.split() };
        RateLimitLayer {
            limiter,
            pin,
            tokens,
            usage,
            limited: E::from,
        }
    }
}

impl<'a, T, E, U: Usage<T, E>, P> Layer<T, E> for RateLimitLayer<'a, E, U, P> {
    type Stack<S: Stack<T, E>> = RateLimitStack<'a, E, U, S, P>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> RateLimitStack<'a, E, U, S, P> {
        RateLimitStack {
            limiter: self.limiter,
            tokens: self.tokens,
            usage: self.usage,
            limited: self.limited,
            admitted: false,
            waiting: None,
            inner,
            _pin: self.pin,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a rate-limit layer: everything added after it is one call of `limiter`,
    /// estimated at `tokens` tokens (any unsigned integer, see [`Tokens`]) and
    /// reconciled with `usage` (see [`RateLimitLayer`]).
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, rate_limit::{NoUsage, RateLimited, RateLimiter}};
    /// # #[derive(Debug)] struct E; impl From<RateLimited> for E { fn from(_: RateLimited) -> Self { E } }
    /// let limiter = RateLimiter::builder().tokens(10_000).build().unwrap();
    /// let used = |r: &Result<u64, E>| r.as_ref().ok().copied();
    /// let mut p = pipeline::<Result<u64, E>>().rate_limit(&limiter, 800_u64, used).build();
    /// assert_eq!(p.run_blocking(|_| Ok(120)).unwrap(), 120);
    /// assert_eq!(limiter.left().tokens, Some(9_880));
    /// ```
    #[inline(always)]
    // Every builder method's return type, plus the limiter's pin: no simpler to name.
    #[allow(clippy::type_complexity)]
    pub fn rate_limit<'a, R: LimiterRef<'a>, U: Usage<T, E>>(
        self,
        limiter: R,
        tokens: impl Tokens,
        usage: U,
    ) -> Builder<T, E, Then<L, RateLimitLayer<'a, E, U, R::Pin>>>
    where
        E: FromRateLimited,
    {
        self.layer(RateLimitLayer::new(limiter, tokens.tokens(), usage))
    }
}

/// A [`RateLimitLayer`] around the stack `S`.
pub struct RateLimitStack<'a, E, U, S, P = ()> {
    limiter: &'a RateLimiter,
    tokens: u64,
    usage: U,
    limited: fn(RateLimited) -> E,
    /// The call below was admitted and its usage is not reconciled yet.
    admitted: bool,
    /// The call's place in the limiter's queue while it waits (dropped: it leaves).
    waiting: Option<Box<Waiting<'a>>>,
    inner: S,
    /// Keeps a keyed limiter its key's: last, so it is dropped after `waiting`.
    _pin: P,
}

impl<E, U, S, P> RateLimitStack<'_, E, U, S, P> {
    /// Admitted: on to the stack below.
    #[inline(always)]
    fn go<T>(&mut self) -> Step<T, E>
    where
        S: Stack<T, E>,
        U: Usage<T, E>,
    {
        self.admitted = true;
        let step = self.inner.enter();
        self.up(step)
    }

    /// Reconciles the call once the stack below has its answer.
    #[inline(always)]
    fn up<T>(&mut self, step: Step<T, E>) -> Step<T, E>
    where
        U: Usage<T, E>,
    {
        if let Step::Done { result, .. } = &step {
            if self.admitted {
                self.admitted = false;
                if let Some(used) = self.usage.usage(result) {
                    self.limiter.reconcile(self.tokens, used);
                }
            }
        }
        step
    }

    /// What the wait ended with.
    #[cold]
    fn waited<T>(&mut self, answer: Result<(), RateLimited>) -> Step<T, E>
    where
        S: Stack<T, E>,
        U: Usage<T, E>,
    {
        self.waiting = None;
        match answer {
            Ok(()) => self.go(),
            Err(limited) => refused(self.limited, limited),
        }
    }
}

impl<T, E, U: Usage<T, E>, S: Stack<T, E>, P> Stack<T, E> for RateLimitStack<'_, E, U, S, P> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = S::Guard<'s, F>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        match self.limiter.admit(self.tokens) {
            Admission::Now => self.go(),
            Admission::Queued(waiting) => queued(&mut self.waiting, waiting),
            Admission::Refused(limited) => refused(self.limited, limited),
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
        // A waiting call leaves the queue; an admitted one keeps its estimate charged
        // (the request may have reached the server).
        self.waiting = None;
        self.admitted = false;
        self.inner.cancel();
    }
}

/// The call queued: wait.
#[cold]
#[inline(never)]
fn queued<'a, T, E>(slot: &mut Option<Box<Waiting<'a>>>, waiting: Waiting<'a>) -> Step<T, E> {
    *slot = Some(Box::new(waiting));
    Step::Wait
}

/// The refusal, as the answer of the layer: a retry above waits `retry_in` out.
#[cold]
#[inline(never)]
fn refused<T, E>(from: fn(RateLimited) -> E, limited: RateLimited) -> Step<T, E> {
    let retry_in = Some(limited.retry_in());
    Step::Done {
        result: Err(from(limited)),
        retry_in,
    }
}
