//! Manual control ([`isolate`](CircuitBreaker::isolate), [`reset`](CircuitBreaker::reset))
//! and being told of transitions ([`subscribe`](CircuitBreaker::subscribe)).

use std::time::Duration;

use super::state::Word;
use super::{CircuitBreaker, Reason, State, clock};
use crate::sync::Ordering;

impl CircuitBreaker {
    /// Opens the breaker by hand: every call is rejected (with a [`CircuitOpen`] whose
    /// state is [`State::Isolated`] and whose `retry_in` is [`Duration::MAX`], so a
    /// retry above gives up at once) until [`reset`](Self::reset), whatever the time.
    /// Calls in flight finish, and their outcomes change nothing.
    ///
    /// For a maintenance window, a provider you were told is down, or a kill switch.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().build()?;
    /// breaker.isolate();
    /// assert_eq!(breaker.state(), State::Isolated);
    /// assert_eq!(breaker.try_acquire().unwrap_err().state(), State::Isolated);
    /// breaker.reset();
    /// assert!(breaker.try_acquire().is_ok());
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    ///
    /// [`CircuitOpen`]: super::CircuitOpen
    /// [`Duration::MAX`]: std::time::Duration::MAX
    pub fn isolate(&self) {
        self.force(Word::isolated, Reason::Isolated);
    }

    /// Closes the breaker by hand, whatever its state, with every count cleared: the
    /// consecutive failures, the window, the growth of the open period. Calls in flight
    /// finish, and their outcomes change nothing. The statistics ([`stats`](Self::stats))
    /// are kept.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// breaker.reset();
    /// assert_eq!(breaker.state(), State::Closed);
    /// assert_eq!(breaker.stats().failures, 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn reset(&self) {
        self.force(|generation| Word::closed(generation, 0), Reason::Reset);
    }

    /// Opens a closed or half-open breaker for `period`, on advice from outside (another
    /// replica that saw the service fail, as `resilience-redis` shares): new calls are
    /// refused with the usual [`CircuitOpen`] until the period ends, then the breaker
    /// probes and decides from its own outcomes, as after any open period. Returns
    /// whether it opened the breaker.
    ///
    /// It does nothing (and returns `false`) to a breaker that is open already (it never
    /// shortens nor lengthens a period the breaker's own outcomes started), to an
    /// [`Isolated`](State::Isolated) one, or for a zero `period`. An advised open period
    /// does not count as a re-opening: a probe that fails after it reopens the breaker
    /// for the period its own re-openings call for (`recovery` when it was closed).
    /// Calls in flight finish, and their outcomes change nothing. The transition's
    /// event says `reason = "advisory"`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().build()?;
    /// assert!(breaker.open_for(Duration::from_secs(5)));
    /// assert_eq!(breaker.state(), State::Open);
    /// assert!(breaker.opened_by_advice());
    /// assert!(breaker.try_acquire().unwrap_err().retry_in() <= Duration::from_secs(5));
    /// assert!(!breaker.open_for(Duration::from_secs(60)), "open already");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    ///
    /// [`CircuitOpen`]: super::CircuitOpen
    pub fn open_for(&self, period: Duration) -> bool {
        if period.is_zero() {
            return false;
        }
        let mut word = self.load();
        let mut published = false;
        loop {
            let reopens = match word.state() {
                State::Closed => 0,
                State::HalfOpen => word.reopens(),
                State::Open | State::Isolated => return false,
            };
            let next = Word::open(word.next_generation(), reopens);
            if !published {
                // As in `trip`: the deadline before the CAS that opens, never lowered.
                let until = clock::now_nanos().saturating_add(clock::saturating_nanos(period));
                self.hot.0.open_until.fetch_max(until, Ordering::Relaxed);
                published = true;
            }
            match self.cas(word, next) {
                Ok(()) => {
                    // Marked before subscribers are told (in `transitioned`), so one that
                    // wakes for this transition sees it was advised.
                    #[cfg(not(loom))]
                    self.hot
                        .0
                        .advised
                        .store(next.generation() + 1, Ordering::Release);
                    self.transitioned(word.state(), next.state(), Reason::Advisory);
                    return true;
                }
                Err(actual) => word = actual,
            }
        }
    }

    /// Whether the breaker is open for a period [`open_for`](Self::open_for) started,
    /// rather than its own outcomes: a store that shares open periods does not publish
    /// those again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// breaker.try_acquire().unwrap().failure();
    /// assert!(!breaker.opened_by_advice());
    /// breaker.reset();
    /// breaker.open_for(Duration::from_secs(1));
    /// assert!(breaker.opened_by_advice());
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[cfg(not(loom))]
    pub fn opened_by_advice(&self) -> bool {
        let advised = self.hot.0.advised.load(Ordering::Acquire);
        let word = self.load();
        word.state() == State::Open && advised == word.generation() + 1
    }

    /// How long an open breaker still refuses new calls: `Some` while it is
    /// [`Open`](State::Open) (zero once the period has ended and the next call will
    /// probe), `None` in any other state.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).recovery(Duration::from_secs(30)).build()?;
    /// assert_eq!(breaker.open_remaining(), None);
    /// breaker.try_acquire().unwrap().failure();
    /// let left = breaker.open_remaining().unwrap();
    /// assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn open_remaining(&self) -> Option<Duration> {
        if self.load().state() != State::Open {
            return None;
        }
        // Pairs with the release CAS that opened it, after its deadline (see `trip`).
        crate::sync::fence(Ordering::Acquire);
        let until = self.hot.0.open_until.load(Ordering::Relaxed);
        Some(Duration::from_nanos(
            until.saturating_sub(clock::now_nanos()),
        ))
    }

    /// Moves to `to(next generation)` from any state.
    fn force(&self, to: impl Fn(u32) -> Word, reason: Reason) {
        let mut word = self.load();
        loop {
            let next = to(word.next_generation());
            if next.state() == State::Closed {
                self.hot.0.open_until.store(0, Ordering::Relaxed);
                if self.hot.0.config.window.is_some() {
                    self.restart_window();
                }
            }
            match self.cas(word, next) {
                Ok(()) => {
                    self.transitioned(word.state(), next.state(), reason);
                    return;
                }
                Err(actual) => word = actual,
            }
        }
    }

    /// A [`tokio::sync::watch`] of the breaker's state: its receiver changes at every
    /// transition, so a service can page someone, shed load or switch providers when a
    /// breaker opens, without parsing events. Subscribing costs nothing on the calls'
    /// path; each transition then also updates the channel.
    ///
    /// An open breaker shows [`State::Open`] until a call after the recovery period moves
    /// it to half-open (the breaker moves only when called).
    ///
    /// The channel is made at the first subscription and lives as long as the program
    /// (a breaker has nothing to drop, so that it can be built in a `const`): subscribe
    /// to breakers that live as long, such as `#[circuit]`'s and `static` ones; a
    /// keyed family frees its members' channels when it evicts them.
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// let mut states = breaker.subscribe();
    /// assert_eq!(*states.borrow(), State::Closed);
    /// breaker.try_acquire().unwrap().failure();
    /// states.changed().await.unwrap();
    /// assert_eq!(*states.borrow_and_update(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    #[cfg(not(loom))]
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<State> {
        let sender = self.watch();
        // A transition that ran while the channel was being made may not have seen it:
        // look at the state once more (the fence pairs with the one in `notify`).
        crate::sync::fence(Ordering::SeqCst);
        self.update(sender);
        sender.subscribe()
    }

    /// Tells subscribers of a transition that just happened.
    #[cfg(not(loom))]
    pub(super) fn notify(&self) {
        crate::sync::fence(Ordering::SeqCst);
        let sender = self.hot.0.watch.load(Ordering::Acquire);
        if !sender.is_null() {
            // SAFETY: set once by `watch`, freed only by `release` (never while shared).
            self.update(unsafe { &*sender });
        }
    }

    /// The channel, made at the first subscription. Leaked: a breaker holds nothing to
    /// drop (see `release` for family members, which free it).
    #[cfg(not(loom))]
    fn watch(&self) -> &tokio::sync::watch::Sender<State> {
        let current = self.hot.0.watch.load(Ordering::Acquire);
        if !current.is_null() {
            // SAFETY: as in `notify`.
            return unsafe { &*current };
        }
        let made = Box::into_raw(Box::new(tokio::sync::watch::Sender::new(self.state())));
        match self.hot.0.watch.compare_exchange(
            core::ptr::null_mut(),
            made,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: ours, shared from now on.
            Ok(_) => unsafe { &*made },
            Err(theirs) => {
                // SAFETY: `made` was never shared; `theirs` is set for good.
                unsafe {
                    drop(Box::from_raw(made));
                    &*theirs
                }
            }
        }
    }

    /// Sets the channel to the current state. The state is read under the channel's
    /// lock, so concurrent transitions leave it showing the latest one.
    #[cfg(not(loom))]
    fn update(&self, sender: &tokio::sync::watch::Sender<State>) {
        sender.send_if_modified(|shown| {
            let now = self.state();
            let changed = *shown != now;
            *shown = now;
            changed
        });
    }
}
