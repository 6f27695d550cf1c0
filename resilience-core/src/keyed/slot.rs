//! One member's place in a [`Family`](super::Family): its key, the member, and the word
//! that says who holds it.
//!
//! A slot is never freed while its family lives: an evicted slot goes back to the
//! family's pool and is reused for the next new key. That is what lets a lookup read a
//! slot it found in the table without a lock even while a writer evicts it: the memory
//! is still a slot, and the word tells the reader whether it may use it.
//!
//! ```text
//!  31     30      29                          0
//! +------+-------+-----------------------------+
//! | DEAD | USED  |  pins (handles held now)    |
//! +------+-------+-----------------------------+
//! ```
//!
//! - a reader pins (`fetch_add(1)`) before it looks at the key; it then sees `DEAD` (the
//!   slot is being evicted or rewritten: unpin, look elsewhere) or a key it may compare
//!   and, on a match, a member it may use until it unpins;
//! - a writer evicts only by turning a word of exactly `0` (no pins, not used since the
//!   last sweep) into `DEAD`, so no reader holds the slot then and every later reader
//!   sees `DEAD`; only then does it rewrite the key and the member, and it publishes the
//!   new key by clearing `DEAD` (keeping any transient pins of readers that are backing
//!   off);
//! - `USED` is the second chance of the CLOCK eviction order: set by a pin, cleared by a
//!   sweep that passes over the slot, so a slot is evicted only if nobody used it for a
//!   whole sweep.

use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::sync::{AtomicU32, AtomicU64, Cell};

pub(super) const DEAD: u32 = 1 << 31;
pub(super) const USED: u32 = 1 << 30;
const PINS: u32 = USED - 1;

/// A key and its member (see the module docs for the protocol).
pub(super) struct Slot<K, M> {
    word: AtomicU32,
    /// The key's hash: read without a pin as a cheap filter, so an atomic.
    hash: AtomicU64,
    key: Cell<Option<K>>,
    /// Written only together with `key` (so loom's check of `key` covers it too).
    member: core::cell::UnsafeCell<Option<M>>,
}

// SAFETY: `key` and `member` are written only by the family's writer while the slot is
// `DEAD` with no pins, and read only by holders of a pin on a live slot (or, in a family
// that never evicts, after the slot was published and never written again): the word's
// protocol makes those accesses exclusive, so sharing a slot shares `K` and `M` as `&`.
unsafe impl<K: Send + Sync, M: Send + Sync> Sync for Slot<K, M> {}
// SAFETY: a slot owns its `K` and `M`.
unsafe impl<K: Send, M: Send> Send for Slot<K, M> {}

impl<K, M> Slot<K, M> {
    /// A slot in the pool: `DEAD`, empty.
    pub(super) fn new() -> Self {
        Slot {
            word: AtomicU32::new(DEAD),
            hash: AtomicU64::new(0),
            key: Cell::new(None),
            member: core::cell::UnsafeCell::new(None),
        }
    }

    #[inline]
    pub(super) fn hash(&self) -> u64 {
        self.hash.load(Relaxed)
    }

    /// Pins the slot if it holds a key for which `matches` says yes; `false` (and no pin)
    /// otherwise. A use (`mark`) also gives the slot its second chance; a look (a status
    /// page listing members) does not.
    #[inline]
    pub(super) fn pin_if(&self, mark: bool, matches: impl FnOnce(&K) -> bool) -> bool {
        let before = self.word.fetch_add(1, Acquire);
        if before & DEAD == 0 {
            // SAFETY: pinned and not `DEAD`: the writer cannot rewrite the key until we
            // unpin, and our acquire saw its release of the last rewrite.
            let hit = unsafe { self.key.with(|key| key.as_ref().is_some_and(matches)) };
            if hit {
                if mark && before & USED == 0 {
                    self.word.fetch_or(USED, Relaxed);
                }
                return true;
            }
        }
        self.unpin();
        false
    }

    /// Whether this published slot of a family that never evicts holds a matching key.
    ///
    /// # Safety
    ///
    /// The slot belongs to a family that never evicts and was published (its table
    /// entry loaded with acquire): its key is never written again.
    #[inline]
    pub(super) unsafe fn matches_forever(&self, matches: impl FnOnce(&K) -> bool) -> bool {
        // SAFETY: the caller's contract.
        unsafe { self.key.with(|key| key.as_ref().is_some_and(matches)) }
    }

    #[inline]
    pub(super) fn unpin(&self) {
        self.word.fetch_sub(1, Release);
    }

    /// The key.
    ///
    /// # Safety
    ///
    /// The caller holds a pin, or the slot is in a family that never evicts and was
    /// published, or the caller is the writer.
    pub(super) unsafe fn key(&self) -> &K {
        // SAFETY: the caller's contract; the reference lives as long as that holds.
        unsafe {
            self.key
                .with(|key| &*(key.as_ref().expect("a live slot has a key") as *const K))
        }
    }

    /// The member, under the same contract as [`key`](Self::key).
    ///
    /// # Safety
    ///
    /// As [`key`](Self::key).
    pub(super) unsafe fn member(&self) -> &M {
        // SAFETY: the caller's contract.
        unsafe {
            (*self.member.get())
                .as_ref()
                .expect("a live slot has a member")
        }
    }

    // ----- the writer's side (under the family's lock) -----

    /// Fills a `DEAD` slot with no pins and publishes it with one pin, held by the
    /// caller.
    ///
    /// # Safety
    ///
    /// Only the family's writer, on a slot it made `DEAD` (or a new one), and only while
    /// no table entry points to it.
    pub(super) unsafe fn fill(&self, hash: u64, key: K, member: M) {
        self.hash.store(hash, Relaxed);
        // SAFETY: `DEAD` with no pins: no reader looks at the key or the member.
        unsafe {
            self.key.with_mut(|k| *k = Some(key));
            *self.member.get() = Some(member);
        }
        // `DEAD` off, `USED` and our pin on, in one step (a new key gets a sweep's grace);
        // readers that pinned while it was `DEAD` are backing off and take their own
        // pins back.
        self.word.fetch_sub(DEAD - USED - 1, Release);
    }

    /// Tries to take the slot away from its key: succeeds only when nobody holds it and
    /// nobody used it since the last sweep, and `may_go` agrees. A used slot loses its
    /// `USED` mark instead (its second chance).
    pub(super) fn try_kill(&self, may_go: impl FnOnce(&M) -> bool) -> bool {
        let word = self.word.load(Relaxed);
        if word & DEAD != 0 || word & PINS != 0 {
            return false;
        }
        if word & USED != 0 {
            self.word.fetch_and(!USED, Relaxed);
            return false;
        }
        if self
            .word
            .compare_exchange(0, DEAD, Acquire, Relaxed)
            .is_err()
        {
            return false;
        }
        // SAFETY: `DEAD` with no pins: ours alone.
        if may_go(unsafe { self.member() }) {
            return true;
        }
        // It must stay: alive again, keeping the pins of readers backing off.
        self.word.fetch_and(!DEAD, Release);
        false
    }

    /// Empties a slot that [`try_kill`](Self::try_kill) took, dropping its key and member.
    ///
    /// # Safety
    ///
    /// Only the writer, on a slot it made `DEAD`.
    pub(super) unsafe fn clear(&self) {
        // SAFETY: the caller's contract.
        unsafe {
            self.key.with_mut(|k| *k = None);
            *self.member.get() = None;
        }
    }
}
