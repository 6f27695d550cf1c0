//! Where one limit's state lives: its theoretical arrival time, in one atomic word.
//!
//! This is the seam between the GCRA arithmetic ([`gcra`](super::gcra)) and storage: the
//! limiter and its layer only call these operations, so a store shared between processes
//! (the same arithmetic run atomically in Redis) can replace this word without touching
//! them. Every operation is one compare-and-swap loop over the word, so concurrent calls
//! never lose an update, and the word is the only state: no lock.
//!
//! `SeqCst` throughout: a refund is followed by a read of the wait list's length, and a
//! waiting call reads the word after queueing, so one of the two sees the other (see
//! [`waitlist`](crate::waitlist)). On x86 a `SeqCst` load is a plain load and every
//! compare-and-swap is the same instruction whatever its ordering.

use crate::sync::{AtomicU64, Ordering::SeqCst};

use super::gcra::{self, Rate};

/// One limit's theoretical arrival time, on the [`clock`](crate::circuit::clock) scale.
pub(crate) struct Bucket {
    tat: AtomicU64,
}

impl Bucket {
    /// A full bucket (its TAT at the start of time).
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Bucket {
            tat: AtomicU64::new(0),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Bucket {
            tat: AtomicU64::new(0),
        }
    }

    /// The theoretical arrival time now.
    #[inline]
    pub(crate) fn tat(&self) -> u64 {
        self.tat.load(SeqCst)
    }

    /// Takes `units` at `now` if they fit; otherwise the first instant they would.
    #[inline]
    pub(crate) fn try_take(&self, rate: &Rate, now: u64, units: u64) -> Result<(), u64> {
        let mut tat = self.tat.load(SeqCst);
        loop {
            let ready = rate.ready_at(tat, now, units);
            if ready > now {
                return Err(ready);
            }
            let taken = rate.take(tat, now, units);
            match self.tat.compare_exchange_weak(tat, taken, SeqCst, SeqCst) {
                Ok(_) => return Ok(()),
                Err(actual) => tat = actual,
            }
        }
    }

    /// Gives `span` back at `now` (a call that used less than it took, or one whose
    /// admission is undone); the bucket never holds more than its burst.
    pub(crate) fn give_back(&self, span: u64, now: u64) {
        self.update(|tat| gcra::give_back(tat, now, span));
    }

    /// Charges `span` more at `now` (a call that used more than it took).
    pub(crate) fn charge(&self, span: u64, now: u64) {
        self.update(|tat| gcra::charge(tat, now, span));
    }

    /// Moves the TAT to `tat` unless it is already later: the bucket holds no more than
    /// what a server reported.
    pub(crate) fn raise(&self, tat: u64) {
        self.tat.fetch_max(tat, SeqCst);
    }

    fn update(&self, next: impl Fn(u64) -> u64) {
        let mut tat = self.tat.load(SeqCst);
        loop {
            match self
                .tat
                .compare_exchange_weak(tat, next(tat), SeqCst, SeqCst)
            {
                Ok(_) => return,
                Err(actual) => tat = actual,
            }
        }
    }
}
