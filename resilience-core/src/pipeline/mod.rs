//! The driver that the attribute macros expand into.
//!
//! # Why a driver and not closures
//!
//! The obvious expansion of `#[retry]` passes the body to the runtime as a closure,
//! `policy.run(async || body)`. It breaks on the functions people actually write:
//!
//! - a body that borrows `&mut self` (or any argument mutably) cannot be re-run from an
//!   `FnMut` closure returning a future ("captured variable cannot escape `FnMut`");
//! - with Rust's async closures (`AsyncFnMut`) that compiles, but the resulting future is
//!   not provably `Send` ("implementation of `Send` is not general enough"), so the
//!   function can no longer be `tokio::spawn`ed.
//!
//! So the expansion awaits the body *inline*, in the user's own function, and asks a
//! [`Pipeline`] what to do before and after each call. The pipeline holds one small
//! state machine per layer (retry, circuit, timeout, fallback) and walks them in
//! nesting order: topmost attribute outermost. Nothing is boxed, nothing is allocated,
//! and the body keeps plain borrows of its arguments.
//!
//! # The protocol
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::pipeline::{pipeline, Step};
//!
//! # #[derive(Debug)] struct ApiError;
//! # impl From<resilience_core::TimedOut> for ApiError { fn from(_: resilience_core::TimedOut) -> Self { ApiError } }
//! async fn call(prompt: &str) -> Result<usize, ApiError> {
//!     let mut pipeline = pipeline::<Result<usize, ApiError>>()
//!         .timeout(Duration::from_secs(10));
//!     let mut step = pipeline.start().await;
//!     loop {
//!         let outcome = match step {
//!             Step::Call(_) => pipeline.guard(async { Ok(prompt.len()) }).await,
//!             Step::Done(result) => break result,
//!         };
//!         step = pipeline.next(outcome).await;
//!     }
//! }
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! assert_eq!(call("hello").await.unwrap(), 5);
//! # });
//! ```
//!
//! [`Step::Call`] carries which function to call: `0` is the body, `k >= 1` is the k-th
//! fallback agent. [`Pipeline::guard`] applies the deadlines that cover that call.
//!
//! # The synchronous protocol
//!
//! `start()` and `next()` return futures that carry a [`Step`], so the function that
//! awaits them keeps a copy of the result in its own future and moves it in and out on
//! every call. [`Pipeline::enter`] and [`Pipeline::leave`] decide without waiting and
//! return a [`Flow`]; only [`Flow::Wait`] (a retry delay) needs an await, of
//! [`Pipeline::wait`], a future that holds nothing but the pipeline. Same layers, same
//! rules; a first-try `#[retry]` driven this way costs about half the instructions
//! and 32 bytes less future (see `benches/`).
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::pipeline::{pipeline, Flow};
//!
//! # #[derive(Debug)] struct ApiError;
//! # impl From<resilience_core::TimedOut> for ApiError { fn from(_: resilience_core::TimedOut) -> Self { ApiError } }
//! async fn call(prompt: &str) -> Result<usize, ApiError> {
//!     let mut pipeline = pipeline::<Result<usize, ApiError>>()
//!         .timeout(Duration::from_secs(10));
//!     let mut flow = pipeline.enter();
//!     loop {
//!         // `{ flow }` moves the flow out, so it is not kept across the awaits below.
//!         match { flow } {
//!             Flow::Call(_) => {}
//!             Flow::Done(result) => break result,
//!             Flow::Wait => {
//!                 flow = pipeline.wait().await;
//!                 continue;
//!             }
//!         }
//!         let outcome = pipeline.guard(async { Ok(prompt.len()) }).await;
//!         flow = pipeline.leave(outcome);
//!     }
//! }
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! assert_eq!(call("hello").await.unwrap(), 5);
//! # });
//! ```
//!
//! # What it costs
//!
//! The layers a pipeline holds and their order are part of its type (see [`layers`]),
//! so each stack compiles to the code of its own layers, with every "which layer is at
//! this depth" decided at compile time. The success path reads no clock (unless a
//! timeout sits above a retry or fallback, or a retry policy has `max_elapsed`), takes
//! no lock, allocates nothing: a retry's state beyond its first attempt, and its timer,
//! go in one box made when the first retry is decided.

mod driver;
mod guard;
pub mod layers;

use core::fmt::Debug;
use core::marker::PhantomData;
use core::time::Duration;

use crate::circuit::CircuitBreaker;
use crate::retry::RetryPolicy;
use crate::{CircuitOpen, TimedOut};

pub use driver::{Next, Start, Wait};
pub use guard::{Guard, Outcome, Unbounded, Watched};
use layers::{
    Absent, CircuitLayer, FallbackLayer, Order, Order0, RetryLayer, TimeoutLayer, WithCircuit,
    WithFallback, WithRetry, WithTimeout,
};

/// What the caller of a [`Pipeline`] does next.
///
/// ```
/// use resilience_core::pipeline::Step;
///
/// let step: Step<u8, ()> = Step::Call(0);
/// assert!(matches!(step, Step::Call(0)));
/// ```
#[derive(Debug)]
pub enum Step<T, E> {
    /// Call function `n` once and hand its outcome to [`Pipeline::next`]: `0` is the
    /// body, `k >= 1` the k-th fallback agent.
    Call(usize),
    /// The pipeline has its answer: return it.
    Done(Result<T, E>),
}

/// What the caller of a [`Pipeline`] does next, in the synchronous protocol
/// ([`Pipeline::enter`], [`Pipeline::leave`], [`Pipeline::wait`]).
///
/// [`Step`] comes out of a future ([`Pipeline::start`], [`Pipeline::next`]), so the
/// caller's `async fn` keeps that future, result and all, in its own state while it
/// awaits it, and copies the result in and out. A `Flow` is returned directly; only
/// [`Flow::Wait`] needs an await, of a future that holds nothing but the pipeline.
///
/// ```
/// use resilience_core::pipeline::Flow;
///
/// let flow: Flow<u8, ()> = Flow::Call(0);
/// assert!(matches!(flow, Flow::Call(0)));
/// ```
#[derive(Debug)]
pub enum Flow<T, E> {
    /// Call function `n` once and hand its outcome to [`Pipeline::leave`]: `0` is the
    /// body, `k >= 1` the k-th fallback agent.
    Call(usize),
    /// The pipeline has its answer: return it.
    Done(Result<T, E>),
    /// A retry sleeps first: await [`Pipeline::wait`], which resolves to the next `Flow`.
    Wait,
}

impl<T, E> From<Step<T, E>> for Flow<T, E> {
    #[inline(always)]
    fn from(step: Step<T, E>) -> Self {
        match step {
            Step::Call(n) => Flow::Call(n),
            Step::Done(result) => Flow::Done(result),
        }
    }
}

/// Names the `Ok` and `Err` types of a function's declared return type.
///
/// The expansion writes `pipeline::<ReturnType>()`, so a function that does not
/// return a `Result` is refused right on its return type.
///
/// ```
/// use resilience_core::pipeline::IsResult;
///
/// fn err_type<R: IsResult<Err = std::io::Error>>() {}
/// err_type::<std::io::Result<u8>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "resilience attributes need a function that returns `Result<T, E>`, not `{Self}`",
    label = "not a `Result`",
    note = "`#[retry]`, `#[circuit]`, `#[timeout]` and `#[fallback]` decide from `Ok` and `Err`"
)]
pub trait IsResult {
    /// The success type.
    type Ok;
    /// The error type.
    type Err;
}

impl<T, E> IsResult for Result<T, E> {
    type Ok = T;
    type Err = E;
}

/// `E` can carry a [`CircuitOpen`] rejection.
///
/// Implemented for every `E: From<CircuitOpen>`; it exists to say what to add when
/// that impl is missing.
///
/// ```
/// use resilience_core::{pipeline::FromCircuitOpen, CircuitOpen};
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

/// `E` can carry a [`TimedOut`] error.
///
/// Implemented for every `E: From<TimedOut>`; it exists to say what to add when that
/// impl is missing.
///
/// ```
/// use resilience_core::{pipeline::FromTimedOut, TimedOut};
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

/// The layers around one call of one function, and where that call stands.
///
/// Build it with [`pipeline`], add layers outermost first, then drive it with
/// [`start`](Pipeline::start), [`guard`](Pipeline::guard) and
/// [`next`](Pipeline::next) (see the [module docs](self)).
///
/// Which layers it holds, and in which order, is part of its type: `R`, `C`, `Ti` and
/// `F` are the retry, circuit-breaker, timeout and fallback slots (each the layer or
/// [`Absent`]), `O` their [`Order`]. So the compiler
/// builds each pipeline from the code and the state of its own layers only (see
/// [`layers`] for why). Nobody names this type: the builder methods produce it.
///
/// ```
/// use resilience_core::pipeline::{pipeline, Step};
/// use resilience_core::retry::RetryPolicy;
///
/// const POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
///     RetryPolicy::builder().attempts(2).build(),
/// );
/// let mut calls = 0;
/// let mut p = pipeline::<Result<u32, String>>().retry(&POLICY, |_| true, None);
/// let mut step = p.start_blocking();
/// let result = loop {
///     let outcome = match step {
///         Step::Call(_) => { calls += 1; Ok(7) }
///         Step::Done(result) => break result,
///     };
///     step = p.next_blocking(outcome);
/// };
/// assert_eq!((result, calls), (Ok(7), 1));
/// ```
pub struct Pipeline<'a, T, E, R = Absent, C = Absent, Ti = Absent, F = Absent, O = Order0> {
    retry: R,
    circuit: C,
    timeout: Ti,
    fallback: F,
    #[allow(clippy::type_complexity, reason = "a marker, named nowhere else")]
    _types: PhantomData<fn(&'a ()) -> (T, E, O)>,
}

/// Starts an empty pipeline for a function returning `R` (a `Result`).
///
/// ```
/// let p = resilience_core::pipeline::pipeline::<Result<(), std::io::Error>>();
/// # let _ = p;
/// ```
pub const fn pipeline<'a, R: IsResult>() -> Pipeline<'a, R::Ok, R::Err> {
    Pipeline {
        retry: Absent,
        circuit: Absent,
        timeout: Absent,
        fallback: Absent,
        _types: PhantomData,
    }
}

impl<'a, T, E, C, Ti, F, O: Order> Pipeline<'a, T, E, Absent, C, Ti, F, O> {
    /// Adds a retry layer: re-run everything inside it under `policy`.
    ///
    /// `on` says which errors are retried; `retry_after` reads a delay the server asked
    /// for (see [`RetryState::on_error`](crate::retry::RetryState::on_error)).
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, retry::RetryPolicy};
    /// static POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(RetryPolicy::builder().build());
    /// let p = pipeline::<Result<(), String>>().retry(&POLICY, |e| e != "fatal", None);
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn retry<On>(
        self,
        policy: &'a RetryPolicy,
        on: On,
        retry_after: Option<fn(&E) -> Option<Duration>>,
    ) -> Pipeline<'a, T, E, RetryLayer<'a, E, On>, C, Ti, F, WithRetry<O>>
    where
        E: Debug,
        On: Fn(&E) -> bool,
    {
        Pipeline {
            retry: RetryLayer::new(policy, on, retry_after),
            circuit: self.circuit,
            timeout: self.timeout,
            fallback: self.fallback,
            _types: PhantomData,
        }
    }
}

impl<'a, T, E, R, Ti, F, O: Order> Pipeline<'a, T, E, R, Absent, Ti, F, O> {
    /// Adds a circuit-breaker layer: everything inside it is one call of `breaker`.
    ///
    /// `counts` says which errors count as failures; the others pass through and count
    /// as neither.
    ///
    /// ```
    /// # use resilience_core::{pipeline::pipeline, CircuitBreaker, CircuitOpen};
    /// # #[derive(Debug)] struct E; impl From<CircuitOpen> for E { fn from(_: CircuitOpen) -> Self { E } }
    /// let breaker = CircuitBreaker::builder().name("llm").build().unwrap();
    /// let p = pipeline::<Result<(), E>>().circuit(&breaker, |_| true);
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn circuit<Counts>(
        self,
        breaker: &'a CircuitBreaker,
        counts: Counts,
    ) -> Pipeline<'a, T, E, R, CircuitLayer<'a, E, Counts>, Ti, F, WithCircuit<O>>
    where
        E: FromCircuitOpen,
        Counts: Fn(&E) -> bool,
    {
        Pipeline {
            retry: self.retry,
            circuit: CircuitLayer::new(breaker, counts, E::from),
            timeout: self.timeout,
            fallback: self.fallback,
            _types: PhantomData,
        }
    }
}

impl<'a, T, E, R, C, F, O: Order> Pipeline<'a, T, E, R, C, Absent, F, O> {
    /// Adds a timeout layer: everything inside it must finish within `after`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::{pipeline::pipeline, TimedOut};
    /// # #[derive(Debug)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    /// let p = pipeline::<Result<(), E>>().timeout(Duration::from_secs(10));
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn timeout(
        self,
        after: Duration,
    ) -> Pipeline<'a, T, E, R, C, TimeoutLayer<E>, F, WithTimeout<O>>
    where
        E: FromTimedOut,
    {
        Pipeline {
            retry: self.retry,
            circuit: self.circuit,
            timeout: TimeoutLayer::new(after, E::from),
            fallback: self.fallback,
            _types: PhantomData,
        }
    }
}

impl<'a, T, E, R, C, Ti, O: Order> Pipeline<'a, T, E, R, C, Ti, Absent, O> {
    /// Adds a fallback layer: when everything inside it fails with an error that `on`
    /// accepts, call the agents named in `agents` in order ([`Step::Call`] `1..`).
    ///
    /// ```
    /// # use resilience_core::pipeline::pipeline;
    /// let p = pipeline::<Result<(), String>>().fallback(&["gpt35", "local_llm"], |_| true);
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn fallback<On>(
        self,
        agents: &'a [&'static str],
        on: On,
    ) -> Pipeline<'a, T, E, R, C, Ti, FallbackLayer<'a, E, On>, WithFallback<O>>
    where
        On: Fn(&E) -> bool,
    {
        Pipeline {
            retry: self.retry,
            circuit: self.circuit,
            timeout: self.timeout,
            fallback: FallbackLayer::new(agents, on),
            _types: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests;
