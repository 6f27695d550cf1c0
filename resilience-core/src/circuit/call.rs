//! Running one call under a breaker without handling the [`Permit`](super::Permit) yourself.
//!
//! Each is a one-layer pipeline ([`CircuitLayer`](super::CircuitLayer)), so it behaves
//! exactly as `#[circuit]` does, panics included: only a panic that unwinds out of the
//! call's own poll counts as a failure; being dropped without an outcome, even during
//! someone else's unwinding (a sibling in `join!` or `select!`), is a cancellation.

use core::cell::Cell;
use core::future::Future;

use super::{CircuitBreaker, CircuitOpen};
use crate::pipeline::{Flow, pipeline};

impl CircuitBreaker {
    /// Runs `fut` if the breaker admits it; every `Err` counts as a failure.
    ///
    /// A rejected call returns `Err(E::from(CircuitOpen))` without polling `fut`. If
    /// the returned future is dropped before `fut` finishes, the call counts as
    /// cancelled (neither success nor failure), also when that happens during a panic
    /// elsewhere (a sibling in `join!`); if `fut` itself panics, as a failure.
    ///
    /// # Errors
    ///
    /// `fut`'s own error, unchanged, or the [`CircuitOpen`] rejection converted into `E`.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, CircuitOpen};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum ApiError { Down, Open(CircuitOpen) }
    /// impl From<CircuitOpen> for ApiError {
    ///     fn from(open: CircuitOpen) -> Self { ApiError::Open(open) }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let first: Result<(), ApiError> = breaker.call(async { Err(ApiError::Down) }).await;
    /// assert_eq!(first, Err(ApiError::Down));
    /// let second: Result<(), ApiError> = breaker.call(async { Ok(()) }).await;
    /// assert!(matches!(second, Err(ApiError::Open(_))));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub async fn call<T, E, F>(&self, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<CircuitOpen>,
    {
        self.call_when(|_: &E| true, fut).await
    }

    /// Like [`call`](Self::call), but an `Err` counts as a failure only when `counts`
    /// returns true for it; other errors pass through and count as neither.
    ///
    /// # Errors
    ///
    /// `fut`'s own error, unchanged, or the [`CircuitOpen`] rejection converted into `E`.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, CircuitOpen, State};
    ///
    /// #[derive(Debug)]
    /// enum ApiError { BadRequest, Unavailable, Open(CircuitOpen) }
    /// impl From<CircuitOpen> for ApiError {
    ///     fn from(open: CircuitOpen) -> Self { ApiError::Open(open) }
    /// }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let is_outage = |e: &ApiError| matches!(e, ApiError::Unavailable);
    /// let _ = breaker.call_when(is_outage, async { Err::<(), _>(ApiError::BadRequest) }).await;
    /// assert_eq!(breaker.state(), State::Closed); // a bad request is our fault, not theirs
    /// let _ = breaker.call_when(is_outage, async { Err::<(), _>(ApiError::Unavailable) }).await;
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub async fn call_when<T, E, F, C>(&self, counts: C, fut: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: From<CircuitOpen>,
        C: FnOnce(&E) -> bool,
    {
        let mut pipeline = pipeline::<Result<T, E>>()
            .circuit(self, once(counts))
            .build();
        if let Flow::Done(rejected) = pipeline.enter() {
            return rejected;
        }
        let outcome = pipeline.guard(fut).await;
        pipeline.finish(outcome)
    }

    /// Runs the blocking call `f` if the breaker admits it; every `Err` counts as a
    /// failure, a panic too (the panic goes on unwinding).
    ///
    /// # Errors
    ///
    /// `f`'s own error, unchanged, or the [`CircuitOpen`] rejection converted into `E`.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, CircuitOpen};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let read = || -> Result<String, CircuitOpen> { Ok("config".to_owned()) };
    /// assert_eq!(breaker.call_blocking(read).as_deref(), Ok("config"));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn call_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<CircuitOpen>,
    {
        self.call_blocking_when(|_: &E| true, f)
    }

    /// Like [`call_blocking`](Self::call_blocking), but an `Err` counts as a failure
    /// only when `counts` returns true for it; other errors count as neither.
    ///
    /// # Errors
    ///
    /// `f`'s own error, unchanged, or the [`CircuitOpen`] rejection converted into `E`.
    ///
    /// ```
    /// use std::io;
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// // `io::Error: From<CircuitOpen>`, so I/O code can use the breaker as is.
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let counts = |e: &io::Error| e.kind() != io::ErrorKind::NotFound;
    /// let missing = || -> io::Result<()> { Err(io::ErrorKind::NotFound.into()) };
    /// assert!(breaker.call_blocking_when(counts, missing).is_err());
    /// assert_eq!(breaker.state(), State::Closed);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn call_blocking_when<T, E, F, C>(&self, counts: C, f: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<CircuitOpen>,
        C: FnOnce(&E) -> bool,
    {
        let mut pipeline = pipeline::<Result<T, E>>()
            .circuit(self, once(counts))
            .build();
        if let Flow::Done(rejected) = pipeline.enter() {
            return rejected;
        }
        pipeline.finish(f().into())
    }
}

/// A one-call classifier as the layer's `Fn`: the layer asks it once per call.
fn once<E>(counts: impl FnOnce(&E) -> bool) -> impl Fn(&E) -> bool {
    let counts = Cell::new(Some(counts));
    move |error| counts.take().is_none_or(|counts| counts(error))
}
