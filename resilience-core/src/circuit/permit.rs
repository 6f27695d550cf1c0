//! The admission ticket of one call, and the transitions its outcome causes.

use core::fmt;
use core::mem::ManuallyDrop;

use super::state::Word;
use super::sync::Ordering::Relaxed;
use super::{CircuitBreaker, State, clock};

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
    generation: u32,
    probe: bool,
}

impl<'a> Permit<'a> {
    #[inline]
    pub(super) const fn new(breaker: &'a CircuitBreaker, generation: u32, probe: bool) -> Self {
        Self {
            breaker,
            generation,
            probe,
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
        self.probe
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
        let (breaker, generation, probe) = self.into_parts();
        breaker.on_success(generation, probe);
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
        let (breaker, generation, probe) = self.into_parts();
        breaker.on_failure(generation, probe);
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
        let (breaker, generation, probe) = self.into_parts();
        breaker.on_neither(generation, probe);
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
        let (breaker, generation, probe) = self.into_parts();
        breaker.on_neither(generation, probe);
    }

    #[inline]
    fn into_parts(self) -> (&'a CircuitBreaker, u32, bool) {
        let this = ManuallyDrop::new(self);
        (this.breaker, this.generation, this.probe)
    }
}

impl Drop for Permit<'_> {
    /// No outcome was reported: a panic (counted as a failure) or a cancellation
    /// (counted as neither, slot given back).
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.breaker.on_failure(self.generation, self.probe);
        } else {
            self.breaker.on_neither(self.generation, self.probe);
        }
    }
}

/// What a [`Permit`] knows of its admission, without the breaker and without a `Drop`:
/// what the pipeline's circuit layer keeps (it holds the breaker itself, and settles a
/// ticket it still holds when it is dropped).
#[derive(Clone, Copy, Debug)]
pub(super) struct Ticket {
    generation: u32,
    probe: bool,
}

impl Permit<'_> {
    /// The admission, for the caller to settle with [`CircuitBreaker::settle`].
    #[inline]
    pub(super) fn into_ticket(self) -> Ticket {
        let (_, generation, probe) = self.into_parts();
        Ticket { generation, probe }
    }
}

/// How a call admitted with a [`Ticket`] ended.
#[derive(Clone, Copy, Debug)]
pub(super) enum Settled {
    Success,
    Failure,
    /// Not counted: an error the breaker ignores, or a cancelled call.
    Neither,
}

impl CircuitBreaker {
    /// Records how the call admitted with `ticket` ended, as the matching [`Permit`]
    /// method would.
    #[inline(always)]
    pub(super) fn settle(&self, ticket: Ticket, settled: Settled) {
        match settled {
            Settled::Success => self.on_success(ticket.generation, ticket.probe),
            Settled::Failure => self.on_failure(ticket.generation, ticket.probe),
            Settled::Neither => self.on_neither(ticket.generation, ticket.probe),
        }
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.name())
            .field("generation", &self.generation)
            .field("probe", &self.probe)
            .finish()
    }
}

/// The transitions caused by outcomes. Each one re-reads the state word and gives up
/// as soon as it belongs to another phase or generation than the permit (stale).
impl CircuitBreaker {
    #[inline]
    fn on_success(&self, generation: u32, probe: bool) {
        self.counters.0.successes.fetch_add(1, Relaxed);
        let word = self.load();
        // The healthy steady state: closed with no failures, nothing to write.
        if !probe && word.has_no_counts() {
            return;
        }
        self.success_slow(word, generation, probe);
    }

    #[inline(never)]
    fn success_slow(&self, mut word: Word, generation: u32, probe: bool) {
        let config = &self.hot.0.config;
        loop {
            if word.generation() != generation {
                return;
            }
            let next = match (word.state(), probe) {
                (State::Closed, false) if word.failures() != 0 => Word::closed(generation, 0),
                (State::HalfOpen, true) => {
                    let successes = word.successes() + 1;
                    if successes >= config.success_threshold {
                        Word::closed(word.next_generation(), 0)
                    } else {
                        Word::half_open(generation, word.in_flight() - 1, successes)
                    }
                }
                _ => return,
            };
            match self.cas(word, next) {
                Ok(()) => {
                    if next.state() != word.state() {
                        self.transitioned(word.state(), next.state());
                    }
                    return;
                }
                Err(actual) => word = actual,
            }
        }
    }

    fn on_failure(&self, generation: u32, probe: bool) {
        self.counters.0.failures.fetch_add(1, Relaxed);
        let config = &self.hot.0.config;
        let mut deadline_published = false;
        let mut word = self.load();
        loop {
            let current = match (word.state(), probe) {
                (State::Closed, false) | (State::HalfOpen, true) => word.generation() == generation,
                _ => false,
            };
            if !current {
                return;
            }
            let failures = word.failures().saturating_add(1);
            let next = if probe || failures >= config.threshold {
                if !deadline_published {
                    // Published before the CAS that opens the breaker, so whoever sees
                    // it open also sees this deadline (see `acquire_slow`). `fetch_max`
                    // because a deadline is `now + recovery`, so a later period's is
                    // always larger and a slow thread can never shorten it.
                    let until = clock::now_nanos().saturating_add(config.recovery_nanos());
                    self.hot.0.open_until.fetch_max(until, Relaxed);
                    deadline_published = true;
                }
                Word::open(word.next_generation())
            } else {
                Word::closed(generation, failures)
            };
            match self.cas(word, next) {
                Ok(()) => {
                    if next.state() != word.state() {
                        self.transitioned(word.state(), next.state());
                    }
                    return;
                }
                Err(actual) => word = actual,
            }
        }
    }

    fn on_neither(&self, generation: u32, probe: bool) {
        self.counters.0.neither.fetch_add(1, Relaxed);
        if !probe {
            return;
        }
        let mut word = self.load();
        while word.state() == State::HalfOpen && word.generation() == generation {
            debug_assert!(word.in_flight() > 0, "a current probe holds a slot");
            let next = Word::half_open(generation, word.in_flight() - 1, word.successes());
            match self.cas(word, next) {
                Ok(()) => return,
                Err(actual) => word = actual,
            }
        }
    }
}
