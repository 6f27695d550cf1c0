//! The layer stack that the attribute macros expand into.
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
//! [`Pipeline`] what to do before and after each call. Nothing is boxed, nothing is
//! allocated, and the body keeps plain borrows of its arguments.
//!
//! # Layers
//!
//! A pipeline is a nesting of [`Stack`]s, topmost attribute outermost, the call itself
//! ([`Body`]) at the bottom. Each pattern owns its layer, in its own module, next to its
//! state machine: [`retry::RetryLayer`](crate::retry::RetryLayer),
//! [`circuit::CircuitLayer`](crate::circuit::CircuitLayer),
//! [`timeout::TimeoutLayer`](crate::timeout::TimeoutLayer),
//! [`fallback::FallbackLayer`](crate::fallback::FallbackLayer). Any number of layers, in
//! any order, the same pattern more than once:
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::{pipeline::pipeline, retry::{NoRetryAfter, RetryPolicy}, TimedOut};
//!
//! # #[derive(Debug)] struct ApiError;
//! # impl From<TimedOut> for ApiError { fn from(_: TimedOut) -> Self { ApiError } }
//! static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
//! let p = pipeline::<Result<String, ApiError>>()
//!     .timeout(Duration::from_secs(30)) // the whole call, retry delays included
//!     .retry(&POLICY, |_| true, NoRetryAfter)
//!     .timeout(Duration::from_secs(10)) // each attempt
//!     .build();
//! # let _ = p;
//! ```
//!
//! What one layer does to another is a property of the stack inside it, not a rule
//! written for a pair of patterns: a deadline bounds whatever runs below it, retry
//! delays included, because the timeout layer polls its own timer while the stack
//! below waits; a retry waits out a breaker's rejection because the breaker answers
//! with [`Step::Done`]'s `retry_in`; a fallback's agent runs in place of the stack below
//! the fallback because the fallback guards its agents' calls itself.
//!
//! # The protocol
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::pipeline::{pipeline, Flow};
//!
//! # #[derive(Debug)] struct ApiError;
//! # impl From<resilience_core::TimedOut> for ApiError { fn from(_: resilience_core::TimedOut) -> Self { ApiError } }
//! async fn call(prompt: &str) -> Result<usize, ApiError> {
//!     let mut pipeline = pipeline::<Result<usize, ApiError>>()
//!         .timeout(Duration::from_secs(10))
//!         .build();
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
//! [`Flow::Call`] carries which function to call: `0` is the body, `k >= 1` the k-th
//! fallback agent. [`Pipeline::guard`] wraps it in what covers it. [`Pipeline::enter`]
//! and [`Pipeline::leave`] decide without waiting; only [`Flow::Wait`] needs an await,
//! of [`Pipeline::wait`], a future that holds nothing but the pipeline, so no awaited
//! future carries the result. A blocking function calls
//! [`wait_blocking`](Pipeline::wait_blocking) instead.
//!
//! # What it costs
//!
//! The layers and their order are the pipeline's type, so each stack compiles to the
//! code of its own layers. The success path takes no lock and allocates nothing; it
//! reads the clock only where a deadline starts (a timeout layer) or a policy needs it
//! (`max_elapsed`). A retry's timer is made, in one box, when its first delay starts.

mod builder;
mod driver;
mod meter;
mod outcome;
mod stack;

pub use builder::{Builder, Identity, Layer, PipelineContext, Then, pipeline};
pub use driver::{Pipeline, Wait};
pub use outcome::Outcome;
pub use stack::{Body, Either, Stack, Step, Unbounded};

/// What the caller of a [`Pipeline`] does next.
///
/// ```
/// use resilience_core::pipeline::Flow;
///
/// let flow: Flow<u8, ()> = Flow::Call(0);
/// assert!(matches!(flow, Flow::Call(0)));
/// ```
#[derive(Debug)]
pub enum Flow<T, E> {
    /// Call function `n` once, through [`Pipeline::guard`], and hand its outcome to
    /// [`Pipeline::leave`]: `0` is the body, `k >= 1` the k-th fallback agent.
    Call(usize),
    /// The pipeline has its answer: return it.
    Done(Result<T, E>),
    /// Something waits first (a retry delay): await [`Pipeline::wait`], which resolves
    /// to the next `Flow`.
    Wait,
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

    /// The type itself, from its `Result`.
    ///
    /// ```
    /// use resilience_core::pipeline::IsResult;
    ///
    /// assert_eq!(<Result<u8, ()> as IsResult>::from_result(Ok(1)), Ok(1));
    /// ```
    fn from_result(result: Result<Self::Ok, Self::Err>) -> Self;
}

impl<T, E> IsResult for Result<T, E> {
    type Ok = T;
    type Err = E;

    #[inline(always)]
    fn from_result(result: Result<T, E>) -> Self {
        result
    }
}

/// The `Result` a function declared as returning `R` returns: `R` itself when it is one.
///
/// The expansion anchors the body's type with it, so that a function whose return type
/// is not a `Result` gets one error (the [`IsResult`] bound), not one per place the
/// type is used.
///
/// ```
/// let answer: resilience_core::pipeline::ResultOf<std::io::Result<u8>> = Ok(1);
/// # let _ = answer;
/// ```
pub type ResultOf<R> = Result<<R as IsResult>::Ok, <R as IsResult>::Err>;

/// A pipeline's answer as the function's declared return type `R` (see [`ResultOf`]).
///
/// ```
/// use resilience_core::pipeline::answer;
///
/// let done: std::io::Result<u8> = answer::<std::io::Result<u8>>(Ok(1));
/// assert_eq!(done.unwrap(), 1);
/// ```
#[inline(always)]
pub fn answer<R: IsResult>(result: ResultOf<R>) -> R {
    R::from_result(result)
}

#[cfg(test)]
mod tests;
