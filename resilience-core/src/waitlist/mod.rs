//! Calls waiting for capacity, first come, first served: what a rate limiter's and a
//! bulkhead's waiting callers queue in.
//!
//! The admission paths of both patterns are lock-free: a call that finds capacity and
//! nobody waiting takes it with one compare-and-swap and never touches this list. Only a
//! call that has to wait anyway takes the list's lock, to queue, to learn whether it is at
//! the front, and to leave. Whoever waits at the front is the only one that may take
//! capacity while others wait behind it, so a call that needs much (a large token
//! estimate) is never starved by a stream of small ones arriving after it: newcomers
//! queue behind it instead of taking what it waits for.
//!
//! A waiting call holds nothing but its place ([`Ticket`]): dropping it (a cancelled
//! future, an abandoned pipeline) leaves the list and wakes the call that is now at the
//! front, so a cancelled waiter never keeps capacity from anyone.
//!
//! # Wake-ups
//!
//! Each entry keeps the [`Waker`] of its last poll. The front is woken when it becomes
//! the front, and when capacity comes back (a bulkhead permit released, a rate limiter's
//! refund); the others sleep until their turn or their own deadline. The front registers
//! its waker and looks for capacity under the list's lock, and whoever gives capacity
//! back wakes the front under the same lock, after giving it: either the giver finds the
//! waker, or the front looks after the giver and sees the capacity. No wake-up is lost,
//! whatever the memory orderings (`tests/loom_bulkhead.rs` checks it for the bulkhead,
//! which avoids the lock on a release when nobody waits: see `bulkhead/state.rs`).

mod wait;

pub(crate) use wait::{Progress, Timer, block_on, poll};

use core::task::Waker;
use std::collections::VecDeque;

#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::{Mutex, MutexGuard};

/// The calls waiting for one limiter's or one bulkhead's capacity, in arrival order.
pub(crate) struct Waitlist {
    /// Entries queued: read without the lock by admission paths ("anyone waiting?").
    len: AtomicUsize,
    queue: Mutex<Queue>,
}

struct Queue {
    /// The id of the next entry.
    next: u64,
    entries: VecDeque<Entry>,
}

/// One waiting call.
pub(crate) struct Entry {
    id: u64,
    /// What it waits for (tokens, for a rate limiter); read when predicting waits.
    pub(crate) cost: u64,
    waker: Option<Waker>,
}

impl Waitlist {
    /// An empty list.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Waitlist {
            len: AtomicUsize::new(0),
            queue: Mutex::new(Queue {
                next: 0,
                entries: VecDeque::new(),
            }),
        }
    }

    /// The same, for loom's types, which have no `const fn new`.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Waitlist {
            len: AtomicUsize::new(0),
            queue: Mutex::new(Queue {
                next: 0,
                entries: VecDeque::new(),
            }),
        }
    }

    /// How many calls wait.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether nobody waits, as seen without the lock: an admission path that sees an
    /// entry queues behind it. `Relaxed`: a newcomer that misses an entry queued at the
    /// same moment simply counts as having arrived first.
    #[inline(always)]
    pub(crate) fn looks_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// The list, locked.
    pub(crate) fn lock(&self) -> Locked<'_> {
        // Nothing panics while the lock is held (no user code runs under it), and the
        // queue stays consistent whatever happened, so a poisoned lock is still usable.
        let queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Locked { list: self, queue }
    }

    /// Wakes the call at the front, if any: capacity came back. Takes the lock, so the
    /// front either has its waker registered already, or registers it after this and
    /// then sees the capacity (it looks under the same lock). Never call it with the
    /// lock held.
    pub(crate) fn wake_front(&self) {
        self.lock().wake_front();
    }
}

/// The list, locked: what a waiting call does with it.
pub(crate) struct Locked<'a> {
    list: &'a Waitlist,
    queue: MutexGuard<'a, Queue>,
}

impl<'a> Locked<'a> {
    /// How many calls wait.
    pub(crate) fn count(&self) -> usize {
        self.queue.entries.len()
    }

    /// Every waiting call, front first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.queue.entries.iter()
    }

    /// The waiting calls ahead of `id`, front first (all of them if `id` is gone).
    pub(crate) fn ahead_of(&self, id: u64) -> impl Iterator<Item = &Entry> {
        self.queue
            .entries
            .iter()
            .take_while(move |entry| entry.id != id)
    }

    /// Queues a call that waits for `cost`, last; its ticket.
    pub(crate) fn push(mut self, cost: u64, waker: Option<&Waker>) -> Ticket<'a> {
        let id = self.queue.next;
        self.queue.next += 1;
        self.queue.entries.push_back(Entry {
            id,
            cost,
            waker: waker.cloned(),
        });
        self.list.len.fetch_add(1, Ordering::Relaxed);
        Ticket {
            list: self.list,
            id,
        }
    }

    /// Keeps `waker` as the one to wake for `id`; whether `id` is at the front.
    pub(crate) fn register(&mut self, id: u64, waker: &Waker) -> bool {
        let mut entries = self.queue.entries.iter_mut();
        let Some(front) = entries.next() else {
            return false;
        };
        let (entry, at_front) = if front.id == id {
            (front, true)
        } else {
            match entries.find(|entry| entry.id == id) {
                Some(entry) => (entry, false),
                None => return false,
            }
        };
        match &entry.waker {
            Some(kept) if kept.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        at_front
    }

    /// Takes `id` off the list; if it was at the front, wakes the call now there.
    fn remove(&mut self, id: u64) {
        let Some(at) = self.queue.entries.iter().position(|entry| entry.id == id) else {
            return;
        };
        self.queue.entries.remove(at);
        self.list.len.fetch_sub(1, Ordering::Relaxed);
        if at == 0 {
            self.wake_front();
        }
    }

    /// Wakes the call at the front, if any.
    pub(crate) fn wake_front(&self) {
        if let Some(Entry {
            waker: Some(waker), ..
        }) = self.queue.entries.front()
        {
            waker.wake_by_ref();
        }
    }
}

/// A call's place in a [`Waitlist`]: dropping it leaves the list (and wakes the call
/// behind it when this one was at the front).
pub(crate) struct Ticket<'a> {
    list: &'a Waitlist,
    id: u64,
}

impl<'a> Ticket<'a> {
    /// This ticket's entry id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Leaves the list with the lock already held.
    pub(crate) fn leave(self, locked: &mut Locked<'_>) {
        locked.remove(self.id);
        core::mem::forget(self);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.list.lock().remove(self.id);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn the_front_is_woken_when_the_call_ahead_leaves() {
        let list = Waitlist::new();
        let (first_woken, first) = counting();
        let (second_woken, second) = counting();
        let a = list.lock().push(5, Some(&first));
        let b = list.lock().push(7, Some(&second));
        assert_eq!(list.len(), 2);
        assert!(list.lock().register(a.id(), &first));
        assert!(!list.lock().register(b.id(), &second));
        let costs: Vec<u64> = list.lock().entries().map(|e| e.cost).collect();
        assert_eq!(costs, [5, 7]);
        assert_eq!(list.lock().ahead_of(b.id()).count(), 1);

        drop(a);
        assert_eq!(second_woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(first_woken.0.load(Ordering::SeqCst), 0);
        assert!(list.lock().register(b.id(), &second));
        drop(b);
        assert_eq!(list.len(), 0);
        assert!(list.looks_empty());
    }

    #[test]
    fn leaving_from_behind_wakes_nobody() {
        let list = Waitlist::new();
        let (front_woken, front) = counting();
        let a = list.lock().push(1, Some(&front));
        let b = list.lock().push(1, None);
        let mut locked = list.lock();
        b.leave(&mut locked);
        assert_eq!(locked.count(), 1);
        drop(locked);
        assert_eq!(front_woken.0.load(Ordering::SeqCst), 0);
        list.wake_front();
        assert_eq!(front_woken.0.load(Ordering::SeqCst), 1);
        drop(a);
    }
}
