//! Manual control ([`isolate`](CircuitBreaker::isolate), [`reset`](CircuitBreaker::reset))
//! and being told of transitions ([`subscribe`](CircuitBreaker::subscribe)).

use super::state::Word;
use super::{CircuitBreaker, Reason, State};
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
