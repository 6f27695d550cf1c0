//! Each pattern as a [`tower`](https://docs.rs/tower) `Layer` + `Service` (feature `tower`).
//!
//! For services composed with `tower::ServiceBuilder` (axum, tonic, hyper clients), the
//! same patterns the attributes add to functions, built from the **same** policy and
//! shared types ([`RetryPolicy`](crate::retry::RetryPolicy),
//! [`CircuitBreaker`](crate::CircuitBreaker), [`RateLimiter`](crate::RateLimiter),
//! [`Bulkhead`](crate::Bulkhead), [`RetryBudget`](crate::RetryBudget)) and run by the
//! same layer code: each service's call builds a one-layer
//! [`pipeline`](crate::pipeline) and drives it around the inner service, so a retry
//! here waits, gives up and emits events exactly as `#[retry]` does.
//!
//! | layer | pattern | request bound | `poll_ready` |
//! |---|---|---|---|
//! | [`RetryLayer`] | [`retry`](crate::retry) | `Req: Clone` (each attempt sends a copy) | the inner service's |
//! | [`CircuitLayer`] | [`circuit`](crate::circuit) | none | the inner service's; an open breaker fails the call with `CircuitOpen` |
//! | [`TimeoutLayer`] | [`timeout`](crate::timeout) | none | the inner service's (the deadline covers the call) |
//! | [`FallbackLayer`] | [`fallback`](crate::fallback) | `Req: Clone` (the fallback gets a copy) | the inner service's; the fallback's is polled when it is needed |
//! | [`RateLimitLayer`] | [`rate_limit`](crate::rate_limit) | none | the inner service's; the call waits its turn in the limiter's queue |
//! | [`BulkheadLayer`] | [`bulkhead`](crate::bulkhead) | none | the inner service's; the call waits in the bulkhead's queue, `BulkheadFull` when that is full |
//! | [`HedgeLayer`] | [`hedge`](crate::hedge) | `Req: Clone`, `S: Clone` (each copy sends its own request on its own clone) | the inner service's for the first copy; each later copy's clone is made ready before its call |
//! | [`StreamLayer`] | [`stream`](crate::stream) | none; the response a `Stream` of `Result<T, E>` | the inner service's (the call is answered at the first item) |
//!
//! **Readiness.** `poll_ready` is always the inner service's. A breaker, limiter or
//! bulkhead answers in the call instead, for two reasons: their waits are
//! first-come-first-served queues with a bound and a typed refusal (`RateLimited`,
//! `BulkheadFull`), which a `Pending` from `poll_ready` could not express (it would wait
//! forever instead of shedding load); and a permit taken in `poll_ready` is held by a
//! service clone that may never call (tower's own `ConcurrencyLimit` has this problem).
//! Put a `tower::load_shed` layer above if you want refusals as `poll_ready` errors.
//!
//! **Errors.** The layers keep the inner service's error type `E` and need
//! `E: From<CircuitOpen>` (etc.), which tower's usual `BoxError` has. Each service's
//! future is boxed (`Send + 'static`), as tower's own `Retry` with a boxed policy is.
//!
//! **Across layers.** A breaker's `retry_in` reaches a tower [`RetryLayer`] above it only
//! through the error: [`circuit_retry_in`] reads it from a `BoxError`, for
//! [`RetryLayer::retry_after`].
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::tower::{RetryLayer, TimeoutLayer};
//! use resilience_core::retry::RetryPolicy;
//! use tower::{BoxError, Service, ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), BoxError> {
//! let backoff = resilience_core::backoff::Backoff::fixed().jitter(resilience_core::backoff::Jitter::None).build()?;
//! let policy = RetryPolicy::builder().attempts(3).backoff(backoff).build()?;
//! let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
//! let counted = calls.clone();
//! let mut client = ServiceBuilder::new()
//!     .layer(RetryLayer::new(policy).name("llm"))
//!     .layer(TimeoutLayer::new(Duration::from_secs(10)))
//!     .service(service_fn(move |prompt: String| {
//!         let n = counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!         async move {
//!             if n == 0 { Err::<usize, BoxError>("overloaded".into()) } else { Ok(prompt.len()) }
//!         }
//!     }));
//! let answer = client.ready().await?.call("hello".to_string()).await?;
//! assert_eq!(answer, 5);
//! assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 2);
//! # Ok(())
//! # }
//! ```

mod bulkhead;
mod circuit;
pub(crate) mod drive;
mod fallback;
mod hedge;
mod rate_limit;
mod retry;
mod stream;
mod timeout;

use core::future::Future;
use core::pin::Pin;
use core::time::Duration;

pub use bulkhead::{BulkheadLayer, BulkheadService};
pub use circuit::{CircuitLayer, CircuitService};
pub use fallback::{FallbackLayer, FallbackService};
pub use hedge::{HedgeLayer, HedgeService};
pub use rate_limit::{OneRequest, RateLimitLayer, RateLimitService, Tokens};
pub use retry::{RetryLayer, RetryService};
pub use stream::{StreamLayer, StreamService};
pub use timeout::{TimeoutLayer, TimeoutService};

/// The inner service to call now, a clone left in its place: the one `poll_ready` made
/// ready is the one that takes the call (a fresh clone need not be ready), and the
/// call's future owns it, so the service may be called again before the future ends.
fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    core::mem::replace(inner, clone)
}

/// tower's `BoxError`: the error type of most tower stacks.
///
/// ```
/// let error: resilience_core::tower::BoxError = "boom".into();
/// assert_eq!(error.to_string(), "boom");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future of every service in this module: boxed, `Send`, owning what it uses.
///
/// ```
/// let answer: resilience_core::tower::BoxFuture<Result<u8, ()>> = Box::pin(async { Ok(1) });
/// # let _ = answer;
/// ```
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Every error accepted: the default `when` of [`RetryLayer`], [`CircuitLayer`] and
/// [`FallbackLayer`].
///
/// ```
/// use resilience_core::tower::{EveryError, Predicate};
///
/// assert!(Predicate::<&str>::test(&EveryError, &"any"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct EveryError;

/// No server delay: the default `retry_after` of [`RetryLayer`].
///
/// ```
/// use resilience_core::tower::{Delay, NoDelay};
///
/// assert_eq!(Delay::<&str>::delay(&NoDelay, &"any"), None);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDelay;

/// Which errors a layer acts on: [`EveryError`], or a closure `Fn(&E) -> bool`.
///
/// ```
/// use resilience_core::tower::Predicate;
///
/// let transient = |e: &u16| *e >= 500;
/// assert!(transient.test(&503));
/// ```
pub trait Predicate<E>: Send + Sync + 'static {
    /// Whether the layer acts on `error` (retries it, counts it, falls back).
    fn test(&self, error: &E) -> bool;
}

impl<E> Predicate<E> for EveryError {
    fn test(&self, _: &E) -> bool {
        true
    }
}

impl<E, F: Fn(&E) -> bool + Send + Sync + 'static> Predicate<E> for F {
    fn test(&self, error: &E) -> bool {
        self(error)
    }
}

/// The delay a server asked for, read from an error: [`NoDelay`], or a closure
/// `Fn(&E) -> Option<Duration>`.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::tower::Delay;
///
/// let asked = |_: &u16| Some(Duration::from_secs(2));
/// assert_eq!(asked.delay(&429), Some(Duration::from_secs(2)));
/// ```
pub trait Delay<E>: Send + Sync + 'static {
    /// The delay `error` asks for, if any.
    fn delay(&self, error: &E) -> Option<Duration>;
}

impl<E> Delay<E> for NoDelay {
    fn delay(&self, _: &E) -> Option<Duration> {
        None
    }
}

impl<E, F: Fn(&E) -> Option<Duration> + Send + Sync + 'static> Delay<E> for F {
    fn delay(&self, error: &E) -> Option<Duration> {
        self(error)
    }
}

/// How long an open breaker below said to wait, read from a boxed error: pass it to
/// [`RetryLayer::retry_after`] so a retry above a [`CircuitLayer`] waits out the open
/// period exactly as `#[retry]` above `#[circuit]` does.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{tower::circuit_retry_in, CircuitOpen};
///
/// let error: Box<dyn std::error::Error + Send + Sync> = CircuitOpen::new("llm", Duration::from_secs(3)).into();
/// assert_eq!(circuit_retry_in(&error), Some(Duration::from_secs(3)));
/// let other: Box<dyn std::error::Error + Send + Sync> = "boom".into();
/// assert_eq!(circuit_retry_in(&other), None);
/// ```
pub fn circuit_retry_in(error: &BoxError) -> Option<Duration> {
    error
        .downcast_ref::<crate::CircuitOpen>()
        .map(crate::CircuitOpen::retry_in)
}
