//! The admission ticket of one call, and the transitions its outcome causes.

use core::fmt;
use core::mem::ManuallyDrop;

use std::time::Duration;

use super::CircuitBreaker;

/// Permission to make one call through a [`CircuitBreaker`], from
/// [`try_acquire`](CircuitBreaker::try_acquire).
///
/// Report how the call went by consuming it with [`success`](Self::success),
/// [`failure`](Self::failure) or [`ignore`](Self::ignore). Dropping it without an
/// outcome means the call was cancelled: a half-open probe gives its slot back and
/// nothing is counted but the call itself. Dropping it while the thread is panicking
/// counts as a failure (the call panicked). A permit cannot tell its own call's panic
/// from another one on the same thread, such as a sibling future's in a `join!`: code
/// that can tell reports the cancellation with [`cancel`](Self::cancel), as
/// [`CircuitBreaker::call`] does.
///
/// A permit remembers the breaker's generation when it was admitted; if the breaker has
/// changed state since, its outcome updates the statistics but not the state.
///
/// ```
/// use resilience_core::circuit::CircuitBreaker;
///
/// let breaker = CircuitBreaker::builder().build()?;
/// let permit = breaker.try_acquire().unwrap();
/// let response: Result<&str, &str> = Ok("pong"); // the actual call
/// match response {
///     Ok(_) => permit.success(),
///     Err(_) => permit.failure(),
/// }
/// assert_eq!(breaker.stats().successes, 1);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[must_use = "report the call's outcome with `success()`, `failure()` or `ignore()`; dropping the permit counts as a cancelled call"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    ticket: Admission,
}

impl<'a> Permit<'a> {
    #[inline]
    pub(super) const fn new(
        breaker: &'a CircuitBreaker,
        generation: u32,
        probe: bool,
        started: u64,
    ) -> Self {
        Self {
            breaker,
            ticket: Admission {
                generation,
                probe,
                started,
            },
        }
    }

    /// True when the call was admitted while half-open, as a probe.
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().build()?;
    /// let permit = breaker.try_acquire().unwrap();
    /// assert!(!permit.is_probe());
    /// permit.success();
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn is_probe(&self) -> bool {
        self.ticket.probe
    }

    /// The breaker this permit was taken from.
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().name("db").build()?;
    /// let permit = breaker.try_acquire().unwrap();
    /// assert_eq!(permit.breaker().name(), "db");
    /// permit.ignore();
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn breaker(&self) -> &'a CircuitBreaker {
        self.breaker
    }

    /// The call succeeded. Closed: the consecutive-failure count starts again from zero.
    /// Half-open: one more success towards `success_threshold`; reaching it closes the
    /// breaker.
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().threshold(2).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// breaker.try_acquire().unwrap().success(); // resets the count
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), resilience_core::circuit::State::Closed);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline]
    pub fn success(self) {
        let (breaker, ticket) = self.into_parts();
        breaker.on_success(ticket);
    }

    /// The call failed in a way that counts. Closed: one more consecutive failure;
    /// reaching `threshold` opens the breaker. Half-open: reopens it for a fresh
    /// recovery period.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn failure(self) {
        let (breaker, ticket) = self.into_parts();
        breaker.on_failure(ticket, None);
    }

    /// The call failed in a way that counts, and the service said when to come back
    /// (a `429` or `503` with `Retry-After`): as [`failure`](Self::failure), and if the
    /// breaker opens now (or is open), it stays open at least `retry_after` from now,
    /// even beyond its recovery period.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().threshold(1).recovery(Duration::from_secs(30)).build()?;
    /// breaker.try_acquire().unwrap().failure_with_retry_after(Duration::from_secs(60));
    /// assert_eq!(breaker.try_acquire().unwrap_err().retry_in(), Duration::from_secs(60));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn failure_with_retry_after(self, retry_after: Duration) {
        let (breaker, ticket) = self.into_parts();
        breaker.on_failure(ticket, Some(retry_after));
    }

    /// The call ended with an error that says nothing about the service's health (the
    /// `on`/`when` classifier said no): it counts as neither success nor failure, and a
    /// probe's slot is freed.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().ignore();
    /// assert_eq!(breaker.state(), State::Closed);
    /// assert_eq!((breaker.stats().calls, breaker.stats().failures), (1, 0));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn ignore(self) {
        let (breaker, ticket) = self.into_parts();
        breaker.on_neither(ticket);
    }

    /// The call was cancelled: it counts as neither success nor failure and a probe's
    /// slot is freed, as when the permit is simply dropped, but also while the thread is
    /// panicking (dropping a permit then counts as a failure). For code that drops a
    /// call during a panic that is not the call's own.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let permit = breaker.try_acquire().unwrap();
    /// let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
    ///     struct CancelOnUnwind<'a>(Option<resilience_core::circuit::Permit<'a>>);
    ///     impl Drop for CancelOnUnwind<'_> {
    ///         fn drop(&mut self) {
    ///             self.0.take().map(|p| p.cancel()); // not our panic
    ///         }
    ///     }
    ///     let _call = CancelOnUnwind(Some(permit));
    ///     panic!("somebody else's bug");
    /// }));
    /// assert_eq!(breaker.state(), State::Closed);
    /// assert_eq!((breaker.stats().failures, breaker.stats().ignored()), (0, 1));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn cancel(self) {
        let (breaker, ticket) = self.into_parts();
        breaker.on_neither(ticket);
    }

    #[inline]
    fn into_parts(self) -> (&'a CircuitBreaker, Admission) {
        let this = ManuallyDrop::new(self);
        (this.breaker, this.ticket)
    }
}

impl Drop for Permit<'_> {
    /// No outcome was reported: a panic (counted as a failure) or a cancellation
    /// (counted as neither, slot given back).
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.breaker.on_failure(self.ticket, None);
        } else {
            self.breaker.on_neither(self.ticket);
        }
    }
}

/// What a [`Permit`] knows of its admission, without the breaker and without a `Drop`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Admission {
    pub(super) generation: u32,
    pub(super) probe: bool,
    /// When the call was admitted, for a breaker that times calls (0 otherwise).
    pub(super) started: u64,
}

/// An [`Admission`] without its start instant: what the pipeline's circuit layer keeps
/// as an `Option` (8 bytes; it keeps the instant beside it, written only for a breaker
/// that times calls), and settles when it is dropped still holding one.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ticket {
    generation: u32,
    probe: bool,
}

impl Ticket {
    /// The ticket of a call admitted while closed in `generation`.
    #[inline(always)]
    pub(super) const fn closed(generation: u32) -> Self {
        Ticket {
            generation,
            probe: false,
        }
    }
}

impl Permit<'_> {
    /// The admission, for the caller to settle with [`CircuitBreaker::settle`]: the
    /// ticket and the start instant.
    #[inline]
    pub(super) fn into_ticket(self) -> (Ticket, u64) {
        let admission = self.into_parts().1;
        (
            Ticket {
                generation: admission.generation,
                probe: admission.probe,
            },
            admission.started,
        )
    }
}

/// How a call admitted with a [`Admission`] ended.
#[derive(Clone, Copy, Debug)]
pub(super) enum Settled {
    Success,
    /// A counted failure, with the delay the service asked for, if any.
    Failure(Option<Duration>),
    /// Not counted: an error the breaker ignores, or a cancelled call.
    Neither,
}

impl CircuitBreaker {
    /// Records how the call admitted with `ticket` (at `started`) ended, as the matching
    /// [`Permit`] method would.
    #[inline(always)]
    pub(super) fn settle(&self, ticket: Ticket, started: u64, settled: Settled) {
        let ticket = Admission {
            generation: ticket.generation,
            probe: ticket.probe,
            started,
        };
        match settled {
            Settled::Success => self.on_success(ticket),
            Settled::Failure(retry_after) => self.on_failure(ticket, retry_after),
            Settled::Neither => self.on_neither(ticket),
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.name())
            .field("generation", &self.ticket.generation)
            .field("probe", &self.ticket.probe)
            .finish()
    }
}
