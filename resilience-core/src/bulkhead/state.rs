//! A bulkhead's permits in one atomic word: how many are free, and how many calls wait
//! for one.
//!
//! Keeping both counts in one word is what makes the queue fair and its wake-ups
//! certain, with nothing but the word's own order of modifications:
//!
//! - a newcomer takes a permit only when it is free **and nobody waits** (one
//!   compare-and-swap decides both), so it never takes one a waiting call was woken for;
//! - a release adds its permit and learns, from the same atomic add, whether anyone
//!   waits: then it wakes the call at the front of the queue (under the queue's lock);
//! - a call that queues does so with a compare-and-swap that sees the free permits in
//!   the same word: it takes one instead when nobody waits ahead of it.
//!
//! So a release and a call queueing for its permit cannot miss each other: whichever
//! comes second in the word's modification order sees the first. The front of the queue
//! registers its waker and tries for a permit under the queue's lock, and a release wakes
//! it under that lock too, so the one that comes second there sees the other.
//! `tests/loom_bulkhead.rs` checks both.

#[cfg(loom)]
use loom::sync::atomic::{
    AtomicU64,
    Ordering::{AcqRel, Acquire},
};
#[cfg(not(loom))]
use std::sync::atomic::{
    AtomicU64,
    Ordering::{AcqRel, Acquire},
};

/// Free permits in the low 32 bits, waiting calls in the high 32.
pub(super) struct Permits {
    word: AtomicU64,
}

/// One waiting call, in the word.
const WAITER: u64 = 1 << 32;

/// What a call that finds no permit at once does: see [`Permits::take_or_wait`].
pub(super) enum Queueing {
    /// A permit was free and nobody waited: it has it.
    Taken,
    /// It counts as waiting now: queue it.
    Waiting,
    /// `queue` calls wait already: refuse it.
    Full,
}

#[derive(Clone, Copy)]
struct Word(u64);

impl Word {
    const fn free(self) -> u32 {
        self.0 as u32
    }

    const fn waiting(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl Permits {
    /// `max` free permits, nobody waiting.
    #[cfg(not(loom))]
    pub(super) const fn new(max: u32) -> Self {
        Permits {
            word: AtomicU64::new(max as u64),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub(super) fn new(max: u32) -> Self {
        Permits {
            word: AtomicU64::new(max as u64),
        }
    }

    /// Permits free now.
    pub(super) fn free(&self) -> u32 {
        Word(self.word.load(Acquire)).free()
    }

    /// Calls waiting now.
    pub(super) fn waiting(&self) -> u32 {
        Word(self.word.load(Acquire)).waiting()
    }

    /// A permit, if one is free and nobody waits for one.
    #[inline(always)]
    pub(super) fn try_take(&self) -> bool {
        let mut word = Word(self.word.load(Acquire));
        loop {
            if word.free() == 0 || word.waiting() != 0 {
                return false;
            }
            match self
                .word
                .compare_exchange_weak(word.0, word.0 - 1, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => word = Word(actual),
            }
        }
    }

    /// Under the queue's lock: a permit if one is free and nobody waits; else counts
    /// the call as waiting, unless `queue` calls wait already.
    pub(super) fn take_or_wait(&self, queue: u32) -> Queueing {
        let mut word = Word(self.word.load(Acquire));
        loop {
            let (next, queueing) = if word.free() != 0 && word.waiting() == 0 {
                (word.0 - 1, Queueing::Taken)
            } else if word.waiting() >= queue {
                return Queueing::Full;
            } else {
                (word.0 + WAITER, Queueing::Waiting)
            };
            match self
                .word
                .compare_exchange_weak(word.0, next, AcqRel, Acquire)
            {
                Ok(_) => return queueing,
                Err(actual) => word = Word(actual),
            }
        }
    }

    /// Under the queue's lock, by the call at its front: a permit if one is free, and
    /// the call stops waiting.
    pub(super) fn take_waiting(&self) -> bool {
        let mut word = Word(self.word.load(Acquire));
        loop {
            if word.free() == 0 {
                return false;
            }
            match self
                .word
                .compare_exchange_weak(word.0, word.0 - 1 - WAITER, AcqRel, Acquire)
            {
                Ok(_) => return true,
                Err(actual) => word = Word(actual),
            }
        }
    }

    /// Under the queue's lock: a waiting call leaves without a permit.
    pub(super) fn stop_waiting(&self) {
        self.word.fetch_sub(WAITER, AcqRel);
    }

    /// Gives a permit back; whether calls wait for one (then wake the front).
    #[inline(always)]
    pub(super) fn give_back(&self) -> bool {
        Word(self.word.fetch_add(1, AcqRel)).waiting() != 0
    }
}
