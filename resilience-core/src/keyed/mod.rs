//! A family of members by key: one member (a breaker, a rate limiter) per distinct key
//! value, made on first use, at most `max_keys` kept.
//!
//! ```
//! use resilience_core::keyed::{Evict, Family};
//! use std::sync::atomic::{AtomicU32, Ordering};
//!
//! struct Counter(AtomicU32);
//! impl Evict for Counter {
//!     fn may_evict(&self) -> bool { true }
//! }
//!
//! static HITS: Family<String, Counter> = Family::new(std::num::NonZeroUsize::new(2).unwrap());
//!
//! for model in ["gpt-4", "gpt-4", "claude", "gpt-4"] {
//!     let member = HITS
//!         .get_or_insert_with(model, || (model.to_owned(), Counter(AtomicU32::new(0))))
//!         .expect("room, or an idle member to evict");
//!     member.0.fetch_add(1, Ordering::Relaxed);
//! }
//! assert_eq!(HITS.get("gpt-4").unwrap().0.load(Ordering::Relaxed), 3);
//! assert_eq!(HITS.len(), 2);
//! ```
//!
//! # What it guarantees
//!
//! - **Lock-free lookup of an existing key**: a hash, a walk of an open-addressing table
//!   and one atomic increment (the pin that keeps the member while it is used). No lock,
//!   no allocation. Adding a key, evicting one and growing the table take the family's
//!   lock; a lookup that races with them may miss, and then looks again under the lock,
//!   so a miss is always true.
//! - **At most `max_keys` members.** A new key beyond it evicts a member that no handle
//!   holds, that was not used since the eviction sweep last passed it (CLOCK, a cheap
//!   approximation of least recently used), and that agrees to go ([`Evict`]: a breaker
//!   refuses while it is open). When every member is held or refuses,
//!   [`get_or_insert_with`](Family::get_or_insert_with) returns `None` and the caller
//!   decides (a breaker family lets the call through uncovered, and counts it).
//! - **A handle is never wrong**: a [`Member`] handle is the member of its key for as
//!   long as it lives, even if the family wants to evict it meanwhile (it cannot).
//!
//! Members' memory is kept in a pool and reused for the next new key, never returned to
//! the allocator while the family lives: that is what makes the lock-free lookup safe
//! against a concurrent eviction (see `slot.rs` for the protocol, and
//! `tests/loom_keyed.rs` for its model check). So a family holds at most `max_keys`
//! members' worth of memory plus its table (16 bytes per possible key).
//!
//! [`Family::unbounded`] is the other kind: it never evicts, so lookups take no pin at
//! all (what `#[circuit]` uses for one breaker per `Self` type: the types of a program
//! are few and fixed).

mod slot;
mod table;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;
use core::num::NonZeroUsize;
use core::ops::Deref;

use slot::Slot;
use table::Table;

use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::sync::{AtomicPtr, AtomicU64, AtomicUsize, Mutex};

/// Whether a member may leave its [`Family`] to make room for a new key.
///
/// Asked only of members that no handle holds and that were not used for a whole
/// eviction sweep, while the family holds them exclusively (no call can reach them
/// during the question).
///
/// ```
/// use resilience_core::keyed::Evict;
///
/// struct Session { open: bool }
/// impl Evict for Session {
///     fn may_evict(&self) -> bool { !self.open }
/// }
/// assert!(!Session { open: true }.may_evict());
/// ```
pub trait Evict {
    /// `false` when the member must stay (a breaker that is open: forgetting it would
    /// let calls through to a service that is down).
    fn may_evict(&self) -> bool;
}

/// A key that finds members stored under `K` (hashbrown's `Equivalent`): `&str` for
/// `String` keys, and anything `K` borrows as. Its [`Hash`] must equal the key's.
///
/// ```
/// use resilience_core::keyed::Equivalent;
///
/// assert!("gpt-4".equivalent(&"gpt-4".to_owned()));
/// ```
pub trait Equivalent<K: ?Sized> {
    /// Whether `self` names `key`.
    fn equivalent(&self, key: &K) -> bool;
}

impl<Q: ?Sized + Eq, K: ?Sized + Borrow<Q>> Equivalent<K> for Q {
    fn equivalent(&self, key: &K) -> bool {
        self == key.borrow()
    }
}

/// Members by key: see the [module documentation](self).
///
/// `const`-constructible, so a family can live in a `static`; it allocates nothing
/// until its first key.
pub struct Family<K, M> {
    /// The current table, null until the first insert. Tables are kept until the
    /// family is dropped (`Writer::tables`), so a reader may use one after loading it.
    table: AtomicPtr<Table<K, M>>,
    /// The slot of the last key found: looked at first, so a key used over and over
    /// (one model, one host) is found with a compare, no hash and no walk.
    last: AtomicPtr<Slot<K, M>>,
    max_keys: usize,
    writer: Mutex<Writer<K, M>>,
    live: AtomicUsize,
    refused: AtomicU64,
    _members: PhantomData<Box<Slot<K, M>>>,
}

/// What only the family's lock holder touches.
struct Writer<K, M> {
    /// Every slot ever made: the pool.
    pool: Vec<Box<Slot<K, M>>>,
    /// Indices of empty (`DEAD`) slots in `pool`.
    free: Vec<usize>,
    /// Every table ever made, the current one last.
    #[allow(
        clippy::vec_box,
        reason = "readers hold pointers into the tables: they must not move when the list grows"
    )]
    tables: Vec<Box<Table<K, M>>>,
    /// The CLOCK hand over `pool`.
    hand: usize,
    live: usize,
}

const UNBOUNDED: usize = usize::MAX;
const FIRST_CAPACITY: usize = 8;

impl<K, M> Family<K, M> {
    /// An empty family that keeps at most `max_keys` members, evicting idle ones to
    /// make room.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::keyed::Family;
    /// static SESSIONS: Family<u64, ()> = Family::new(NonZeroUsize::new(1024).unwrap());
    /// assert_eq!(SESSIONS.max_keys(), Some(1024));
    /// ```
    #[cfg(not(loom))]
    pub const fn new(max_keys: NonZeroUsize) -> Self {
        Self::with_limit(max_keys.get())
    }

    /// An empty family that never evicts: every key stays, and lookups take no pin.
    /// For key sets that are small and fixed by the program (types, call sites).
    ///
    /// ```
    /// # use resilience_core::keyed::Family;
    /// static PER_TYPE: Family<&'static str, ()> = Family::unbounded();
    /// assert_eq!(PER_TYPE.max_keys(), None);
    /// ```
    #[cfg(not(loom))]
    pub const fn unbounded() -> Self {
        Self::with_limit(UNBOUNDED)
    }

    #[cfg(not(loom))]
    const fn with_limit(max_keys: usize) -> Self {
        Family {
            table: AtomicPtr::new(core::ptr::null_mut()),
            last: AtomicPtr::new(core::ptr::null_mut()),
            max_keys,
            writer: Mutex::new(Writer {
                pool: Vec::new(),
                free: Vec::new(),
                tables: Vec::new(),
                hand: 0,
                live: 0,
            }),
            live: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            _members: PhantomData,
        }
    }

    /// The same, for loom's atomics and lock, which have no `const fn new`.
    #[cfg(loom)]
    pub fn new(max_keys: NonZeroUsize) -> Self {
        Self::with_limit(max_keys.get())
    }

    /// The same, for loom's atomics and lock, which have no `const fn new`.
    #[cfg(loom)]
    pub fn unbounded() -> Self {
        Self::with_limit(UNBOUNDED)
    }

    #[cfg(loom)]
    fn with_limit(max_keys: usize) -> Self {
        Family {
            table: AtomicPtr::new(core::ptr::null_mut()),
            last: AtomicPtr::new(core::ptr::null_mut()),
            max_keys,
            writer: Mutex::new(Writer {
                pool: Vec::new(),
                free: Vec::new(),
                tables: Vec::new(),
                hand: 0,
                live: 0,
            }),
            live: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            _members: PhantomData,
        }
    }

    /// The most members kept, or `None` for a family that never evicts.
    ///
    /// ```
    /// # use resilience_core::keyed::Family;
    /// assert_eq!(Family::<u8, ()>::new(std::num::NonZeroUsize::MIN).max_keys(), Some(1));
    /// ```
    pub fn max_keys(&self) -> Option<usize> {
        (self.max_keys != UNBOUNDED).then_some(self.max_keys)
    }

    /// Members kept now.
    ///
    /// ```
    /// # use resilience_core::keyed::Family;
    /// assert_eq!(Family::<u8, ()>::unbounded().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.live.load(Relaxed)
    }

    /// Whether no member is kept.
    ///
    /// ```
    /// # use resilience_core::keyed::Family;
    /// assert!(Family::<u8, ()>::unbounded().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lookups refused because the family was full and no member could be evicted.
    ///
    /// ```
    /// use resilience_core::keyed::{Evict, Family};
    ///
    /// struct Stays;
    /// impl Evict for Stays { fn may_evict(&self) -> bool { false } }
    ///
    /// let family: Family<u8, Stays> = Family::new(std::num::NonZeroUsize::new(1).unwrap());
    /// drop(family.get_or_insert_with(&1, || (1, Stays)));
    /// assert!(family.get_or_insert_with(&2, || (2, Stays)).is_none());
    /// assert_eq!(family.refused(), 1);
    /// ```
    pub fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }

    #[inline]
    fn evicts(&self) -> bool {
        self.max_keys != UNBOUNDED
    }

    /// The member of `key`, if the family has it.
    ///
    /// ```
    /// # use resilience_core::keyed::{Evict, Family};
    /// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
    /// let family: Family<String, Unit> = Family::new(std::num::NonZeroUsize::new(8).unwrap());
    /// assert!(family.get("a").is_none());
    /// drop(family.get_or_insert_with("a", || ("a".into(), Unit)));
    /// assert_eq!(family.get("a").unwrap().key(), "a");
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        match self.lookup(key) {
            Some(member) => Some(member),
            None => self.get_locked(key),
        }
    }

    /// The lock-free lookup: may miss a present key while a writer works.
    #[inline(always)]
    fn lookup<Q>(&self, key: &Q) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        let last = self.last.load(Acquire);
        if !last.is_null() {
            // SAFETY: a slot of the pool, which lives as long as the family.
            let slot = unsafe { &*last };
            if let Some(member) = self.hold_if(slot, key) {
                return Some(member);
            }
        }
        self.lookup_table(key)
    }

    /// `slot`, held, if it is `key`'s.
    #[inline(always)]
    fn hold_if<'f, Q>(&'f self, slot: &'f Slot<K, M>, key: &Q) -> Option<Member<'f, K, M>>
    where
        Q: Equivalent<K> + ?Sized,
    {
        let pinned = self.evicts();
        let hit = if pinned {
            slot.pin_if(true, |k| key.equivalent(k))
        } else {
            // SAFETY: a family that never evicts never rewrites a published slot (and
            // `last` only ever points to published slots).
            unsafe { slot.matches_forever(|k| key.equivalent(k)) }
        };
        // Not `then_some`: a `Member` made and dropped on a miss would unpin.
        if hit {
            Some(Member { slot, pinned })
        } else {
            None
        }
    }

    /// The walk of the table, remembering what it found.
    #[inline(never)]
    fn lookup_table<Q>(&self, key: &Q) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        let table = self.table.load(Acquire);
        if table.is_null() {
            return None;
        }
        // SAFETY: tables are kept until the family is dropped.
        let table = unsafe { &*table };
        let hash = table.seed.hash_one(key);
        let member = self.find(table, hash, key)?;
        let found: *const Slot<K, M> = member.slot;
        if !core::ptr::eq(self.last.load(Relaxed), found) {
            self.last.store(found.cast_mut(), Release);
        }
        Some(member)
    }

    /// The lookup where nothing moves, after a miss.
    #[cold]
    #[inline(never)]
    fn get_locked<Q>(&self, key: &Q) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        let writer = lock(&self.writer);
        let table = writer.tables.last()?;
        let table: *const Table<K, M> = &**table;
        // SAFETY: boxed tables stay where they are until the family is dropped.
        let table = unsafe { &*table };
        self.find(table, table.seed.hash_one(key), key)
    }

    #[inline(always)]
    fn find<Q>(&self, table: &Table<K, M>, hash: u64, key: &Q) -> Option<Member<'_, K, M>>
    where
        Q: Equivalent<K> + ?Sized,
    {
        let mut found: *const Slot<K, M> = core::ptr::null();
        let pinned = self.evicts();
        table.probe(hash, |slot| {
            let hit = if pinned {
                slot.pin_if(true, |k| key.equivalent(k))
            } else {
                // SAFETY: a family that never evicts never rewrites a published slot.
                unsafe { slot.matches_forever(|k| key.equivalent(k)) }
            };
            if hit {
                found = slot;
            }
            hit
        });
        // SAFETY: a slot of the pool, which lives as long as the family.
        (!found.is_null()).then(|| Member {
            slot: unsafe { &*found },
            pinned,
        })
    }

    /// The member of `key`, made with `make` (which returns the key to store and the
    /// member) if the family does not have it yet. `None` when the family is full and
    /// no member can be evicted: see [`refused`](Self::refused).
    ///
    /// `make` runs under the family's lock: keep it short, and do not look up the same
    /// family inside it.
    ///
    /// ```
    /// # use resilience_core::keyed::{Evict, Family};
    /// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
    /// let family: Family<String, Unit> = Family::new(std::num::NonZeroUsize::new(1).unwrap());
    /// drop(family.get_or_insert_with("a", || ("a".into(), Unit)));
    /// drop(family.get_or_insert_with("b", || ("b".into(), Unit))); // evicts "a"
    /// assert!(family.get("a").is_none());
    /// ```
    #[inline]
    pub fn get_or_insert_with<Q>(
        &self,
        key: &Q,
        make: impl FnOnce() -> (K, M),
    ) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
        M: Evict,
    {
        match self.lookup(key) {
            Some(member) => Some(member),
            None => self.insert(key, make),
        }
    }

    #[cold]
    #[inline(never)]
    fn insert<Q>(&self, key: &Q, make: impl FnOnce() -> (K, M)) -> Option<Member<'_, K, M>>
    where
        Q: Hash + Equivalent<K> + ?Sized,
        M: Evict,
    {
        let mut writer = lock(&self.writer);
        let writer = &mut *writer;
        if writer.tables.is_empty() {
            let first = FIRST_CAPACITY.min(capacity_for(self.max_keys));
            self.publish(writer, Box::new(Table::new(seed(), first)));
        }
        let table: *const Table<K, M> = &**writer.tables.last().expect("a table");
        // SAFETY: boxed tables stay where they are until the family is dropped.
        let table = unsafe { &*table };
        let hash = table.seed.hash_one(key);
        // Nothing moves while we hold the lock: this answer is the true one.
        if let Some(member) = self.find(table, hash, key) {
            return Some(member);
        }
        let index = if writer.live < self.max_keys {
            match writer.free.pop() {
                Some(index) => index,
                None => {
                    writer.pool.push(Box::new(Slot::new()));
                    writer.pool.len() - 1
                }
            }
        } else if let Some(index) = evict(writer) {
            index
        } else {
            self.refused.fetch_add(1, Relaxed);
            return None;
        };
        if (writer.live + 1) * 2 > table.capacity() {
            let bigger = Box::new(Table::new(table.seed.clone(), table.capacity() * 2));
            for slot in table.slots() {
                bigger.insert(slot);
            }
            self.publish(writer, bigger);
        }
        let (stored, member) = make();
        let slot: &Slot<K, M> = &writer.pool[index];
        // SAFETY: a free or freshly evicted slot (`DEAD`, no pins, in no table), and we
        // are the writer.
        unsafe { slot.fill(hash, stored, member) };
        writer.tables.last().expect("a table").insert(slot);
        writer.live += 1;
        self.live.store(writer.live, Relaxed);
        let slot: *const Slot<K, M> = slot;
        // SAFETY: pool slots are boxed and live as long as the family.
        let slot = unsafe { &*slot };
        if !self.evicts() {
            // Pins mean nothing in a family that never evicts.
            slot.unpin();
        }
        Some(Member {
            slot,
            pinned: self.evicts(),
        })
    }

    fn publish(&self, writer: &mut Writer<K, M>, table: Box<Table<K, M>>) {
        let pointer: *const Table<K, M> = &*table;
        writer.tables.push(table);
        self.table.store(pointer.cast_mut(), Release);
    }

    /// Calls `visit` with every member and its key, each held while it is visited.
    ///
    /// ```
    /// # use resilience_core::keyed::{Evict, Family};
    /// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
    /// let family: Family<String, Unit> = Family::new(std::num::NonZeroUsize::new(8).unwrap());
    /// drop(family.get_or_insert_with("a", || ("a".into(), Unit)));
    /// let mut keys = Vec::new();
    /// family.for_each(|key, _| keys.push(key.clone()));
    /// assert_eq!(keys, ["a"]);
    /// ```
    pub fn for_each(&self, mut visit: impl FnMut(&K, &M)) {
        let table = self.table.load(Acquire);
        if table.is_null() {
            return;
        }
        // SAFETY: tables are kept until the family is dropped.
        let table = unsafe { &*table };
        for slot in table.slots() {
            // SAFETY: a pool slot, alive as long as the family.
            let slot = unsafe { &*slot };
            let held = if self.evicts() {
                slot.pin_if(false, |_| true)
            } else {
                true
            };
            if held {
                // SAFETY: pinned (or never rewritten).
                unsafe { visit(slot.key(), slot.member()) };
                if self.evicts() {
                    slot.unpin();
                }
            }
        }
    }
}

/// Makes room: the first member the CLOCK hand finds that nobody holds, nobody used
/// since the hand last passed, and that agrees to go. Two turns at most (the first may
/// only clear `USED` marks). Returns its pool index, emptied.
fn evict<K, M: Evict>(writer: &mut Writer<K, M>) -> Option<usize> {
    let n = writer.pool.len();
    for _ in 0..2 * n {
        let index = writer.hand;
        writer.hand = (writer.hand + 1) % n;
        let slot: &Slot<K, M> = &writer.pool[index];
        if slot.try_kill(M::may_evict) {
            // Only the current table: an older one is no longer kept up to date, and a
            // reader that walks it checks what it finds.
            writer.tables.last().expect("a table").remove(slot);
            // SAFETY: we made it `DEAD` with no pins.
            unsafe { slot.clear() };
            writer.live -= 1;
            return Some(index);
        }
    }
    None
}

/// The table size that keeps `max_keys` members at most half full.
const fn capacity_for(max_keys: usize) -> usize {
    if max_keys >= usize::MAX / 4 {
        usize::MAX / 4 + 1
    } else {
        (max_keys * 2).next_power_of_two()
    }
}

fn seed() -> foldhash::fast::SeedableRandomState {
    // Loom replays executions and needs the same hashes in each.
    #[cfg(loom)]
    return foldhash::fast::SeedableRandomState::fixed();
    #[cfg(not(loom))]
    return foldhash::fast::SeedableRandomState::random();
}

#[cfg(not(loom))]
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The writer's state is consistent between statements that can panic (only `make`
    // and allocation can, and both run before anything is changed).
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(loom)]
fn lock<T>(mutex: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

// SAFETY: the family shares `K`s and `M`s between threads (handles deref to them) and
// moves them into its pool: `Send + Sync` members make a `Sync` family. The raw table
// pointer only ever points into `writer.tables`.
unsafe impl<K: Send + Sync, M: Send + Sync> Sync for Family<K, M> {}
// SAFETY: as above; the family owns everything its pointers reach.
unsafe impl<K: Send, M: Send> Send for Family<K, M> {}

impl<K: fmt::Debug, M> fmt::Debug for Family<K, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys = Vec::new();
        self.for_each(|key, _| keys.push(format!("{key:?}")));
        f.debug_struct("Family")
            .field("max_keys", &self.max_keys())
            .field("keys", &keys)
            .finish()
    }
}

/// A member of a [`Family`], held: the family cannot evict it while this lives.
/// Dereferences to the member.
///
/// ```
/// # use resilience_core::keyed::{Evict, Family};
/// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
/// let family: Family<String, Unit> = Family::new(std::num::NonZeroUsize::new(1).unwrap());
/// let held = family.get_or_insert_with("a", || ("a".into(), Unit)).unwrap();
/// // "a" is held, so there is no room for "b".
/// assert!(family.get_or_insert_with("b", || ("b".into(), Unit)).is_none());
/// drop(held);
/// assert!(family.get_or_insert_with("b", || ("b".into(), Unit)).is_some());
/// ```
pub struct Member<'f, K, M> {
    slot: &'f Slot<K, M>,
    /// False in a family that never evicts (nothing to release).
    pinned: bool,
}

impl<'f, K, M> Member<'f, K, M> {
    /// The member's key.
    ///
    /// ```
    /// # use resilience_core::keyed::{Evict, Family};
    /// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
    /// let family: Family<u8, Unit> = Family::unbounded();
    /// assert_eq!(*family.get_or_insert_with(&7, || (7, Unit)).unwrap().key(), 7);
    /// ```
    pub fn key(&self) -> &K {
        // SAFETY: held (or never rewritten).
        unsafe { self.slot.key() }
    }

    /// Keeps the member in its family for good (it is never evicted), and returns it
    /// for as long as the family lives: what a registry lookup by name does.
    ///
    /// ```
    /// # use resilience_core::keyed::{Evict, Family};
    /// # struct Unit; impl Evict for Unit { fn may_evict(&self) -> bool { true } }
    /// static FAMILY: Family<u8, Unit> = Family::new(std::num::NonZeroUsize::new(1).unwrap());
    /// let kept: &'static Unit = FAMILY.get_or_insert_with(&1, || (1, Unit)).unwrap().keep();
    /// assert!(FAMILY.get_or_insert_with(&2, || (2, Unit)).is_none());
    /// # let _ = kept;
    /// ```
    pub fn keep(self) -> &'f M {
        let slot = self.slot;
        // The pin is never taken back.
        core::mem::forget(self);
        // SAFETY: pinned for good (or never rewritten).
        unsafe { slot.member() }
    }
}

impl<K, M> Deref for Member<'_, K, M> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        // SAFETY: held (or never rewritten).
        unsafe { self.slot.member() }
    }
}

impl<K, M> Drop for Member<'_, K, M> {
    #[inline]
    fn drop(&mut self) {
        if self.pinned {
            self.slot.unpin();
        }
    }
}

impl<K: fmt::Debug, M> fmt::Debug for Member<'_, K, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member").field("key", self.key()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
