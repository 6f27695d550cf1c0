//! Running one call under a breaker without handling the [`Permit`](super::Permit) yourself.
//!
//! # Whose panic
//!
//! A [`Permit`] dropped while its thread is panicking counts as a failure, because it
//! cannot tell whether the panic came from its own call. A future can: a call future
//! that is dropped during unwinding may be the victim of a panic elsewhere in the same
//! task (a sibling in `join!` or `select!`), which says nothing about the service. So
//! [`call`](CircuitBreaker::call) and [`call_when`](CircuitBreaker::call_when) watch their
//! own future's polls: only a panic that unwinds out of `fut` counts as a failure; being
//! dropped without an outcome, even during someone else's unwinding, is a cancellation.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use core::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::{CircuitBreaker, CircuitOpen, Permit};

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
        let permit = self.try_acquire()?;
        // Set only by a panic unwinding out of `fut`'s own poll (an atomic, not a
        // `Cell`, so that this future stays `Send`).
        let panicked = AtomicBool::new(false);
        let unfinished = Unfinished {
            permit: Some(permit),
            panicked: &panicked,
        };
        let result = WatchPanics {
            fut,
            panicked: &panicked,
        }
        .await;
        let permit = unfinished.finish();
        match &result {
            Ok(_) => permit.success(),
            Err(err) if counts(err) => permit.failure(),
            Err(_) => permit.ignore(),
        }
        result
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
        let permit = self.try_acquire()?;
        let result = f();
        match &result {
            Ok(_) => permit.success(),
            Err(err) if counts(err) => permit.failure(),
            Err(_) => permit.ignore(),
        }
        result
    }
}

/// The permit of a call whose future has not finished: dropped with it, it reports a
/// failure if the call's own future panicked, and a cancellation otherwise.
struct Unfinished<'a, 'p> {
    permit: Option<Permit<'a>>,
    panicked: &'p AtomicBool,
}

impl<'a> Unfinished<'a, '_> {
    fn finish(mut self) -> Permit<'a> {
        self.permit.take().expect("finished once")
    }
}

impl Drop for Unfinished<'_, '_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            if self.panicked.load(Relaxed) {
                permit.failure();
            } else {
                permit.cancel();
            }
        }
    }
}

pin_project! {
    /// `fut`, noting in `panicked` when a panic unwinds out of one of its polls.
    struct WatchPanics<'p, F> {
        #[pin]
        fut: F,
        panicked: &'p AtomicBool,
    }
}

impl<F: Future> Future for WatchPanics<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        /// Dropped only by unwinding: a normal return forgets it.
        struct Unwinding<'p>(&'p AtomicBool);
        impl Drop for Unwinding<'_> {
            fn drop(&mut self) {
                self.0.store(true, Relaxed);
            }
        }
        let this = self.project();
        let unwinding = Unwinding(this.panicked);
        let poll = this.fut.poll(cx);
        core::mem::forget(unwinding);
        poll
    }
}
