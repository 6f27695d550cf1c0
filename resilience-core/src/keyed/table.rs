//! The index of a [`Family`](super::Family): an open-addressing table of slot pointers,
//! read without a lock, written only under the family's lock.
//!
//! Linear probing, deletion by backward shift (no tombstones), at most half full. A
//! reader walks from the key's home position to the first empty entry and checks every
//! slot it meets (its hash, then, pinned, its key). Writers move entries while readers
//! walk, so a reader may miss a key that is present (it passed the entry's new position
//! before the move and reached the old one after it was cleared); it never finds a
//! wrong one. A miss sends the caller to the locked path, which looks again where
//! nothing moves. So the table may be wrong only in the cheap direction.
//!
//! Growing replaces the table: the writer builds a bigger one, publishes it, and keeps
//! the old one until the family is dropped (a reader may still be walking it). Sizes
//! double, so what is kept is less than the current table.

use super::slot::Slot;
use crate::sync::AtomicPtr;
use crate::sync::Ordering::{Acquire, Relaxed, Release};

pub(super) struct Table<K, M> {
    /// The hasher's seed, fixed per family at its first insert.
    pub(super) seed: foldhash::fast::SeedableRandomState,
    mask: usize,
    entries: Box<[AtomicPtr<Slot<K, M>>]>,
}

impl<K, M> Table<K, M> {
    /// An empty table of `capacity` entries (a power of two).
    pub(super) fn new(seed: foldhash::fast::SeedableRandomState, capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        Table {
            seed,
            mask: capacity - 1,
            entries: (0..capacity)
                .map(|_| AtomicPtr::new(core::ptr::null_mut()))
                .collect(),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.mask + 1
    }

    #[inline]
    fn home(&self, hash: u64) -> usize {
        // The high bits: foldhash mixes them best.
        (hash >> 32) as usize & self.mask
    }

    /// Walks the entries from `hash`'s home to the first empty one, calling `visit` on
    /// each slot whose hash matches, until it returns `true`.
    #[inline(always)]
    pub(super) fn probe(&self, hash: u64, mut visit: impl FnMut(&Slot<K, M>) -> bool) -> bool {
        let mut at = self.home(hash);
        for _ in 0..=self.mask {
            let entry = self.entries[at].load(Acquire);
            if entry.is_null() {
                return false;
            }
            // SAFETY: entries point to slots of the family's pool, which live as long
            // as the family, and so as long as `self`.
            let slot = unsafe { &*entry };
            if slot.hash() == hash && visit(slot) {
                return true;
            }
            at = (at + 1) & self.mask;
        }
        false
    }

    // ----- the writer's side (under the family's lock) -----

    /// Adds `slot` (not yet in the table) at the first empty entry from its home.
    pub(super) fn insert(&self, slot: *const Slot<K, M>) {
        // SAFETY: `slot` is a slot of the pool.
        let hash = unsafe { (*slot).hash() };
        let mut at = self.home(hash);
        while !self.entries[at].load(Relaxed).is_null() {
            at = (at + 1) & self.mask;
        }
        self.entries[at].store(slot.cast_mut(), Release);
    }

    /// Removes `slot` by shifting back the entries after it that may move.
    pub(super) fn remove(&self, slot: *const Slot<K, M>) {
        let Some(mut hole) =
            (0..=self.mask).find(|&i| core::ptr::eq(self.entries[i].load(Relaxed), slot))
        else {
            return;
        };
        let mut at = hole;
        loop {
            at = (at + 1) & self.mask;
            let entry = self.entries[at].load(Relaxed);
            if entry.is_null() {
                self.entries[hole].store(core::ptr::null_mut(), Release);
                return;
            }
            // SAFETY: a slot of the pool.
            let home = self.home(unsafe { (*entry).hash() });
            // The entry may fill the hole unless its home lies cyclically in (hole, at].
            let stays = if hole <= at {
                hole < home && home <= at
            } else {
                hole < home || home <= at
            };
            if !stays {
                // Copy first: readers may see it twice for a moment, never not at all
                // where they can still reach it from its home.
                self.entries[hole].store(entry, Release);
                hole = at;
            }
        }
    }

    /// Every slot in the table.
    pub(super) fn slots(&self) -> impl Iterator<Item = *const Slot<K, M>> + '_ {
        self.entries
            .iter()
            .map(|e| e.load(Acquire).cast_const())
            .filter(|p| !p.is_null())
    }
}
