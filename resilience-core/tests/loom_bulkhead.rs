//! The bulkhead's permits and queue, model-checked with loom.
//!
//! A permit is taken with one compare-and-swap and given back with one atomic add; a
//! call that finds none queues under the wait list's lock and is woken when one is
//! given back. Loom runs every interleaving of those operations (up to a preemption
//! bound), so these hold in every execution:
//!
//! - never more than `max` permits held at once, and none leaked: at rest, `max` free;
//! - no lost wake-up: a queued call is woken by the release that frees its permit, even
//!   when the release races the call's queueing (loom reports a deadlock otherwise: the
//!   waiting thread would park forever);
//! - a queued call that is dropped leaves the queue, and the permit goes to nobody else
//!   by mistake.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions -C overflow-checks" \
//! CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p resilience-core --test loom_bulkhead --release -- --nocapture
//! ```
#![cfg(loom)]

mod support;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use resilience_core::bulkhead::{Bulkhead, BulkheadBuilder};
use support::loom::{BOTH, ONE, check, race};

fn bulkhead(builder: BulkheadBuilder) -> &'static Bulkhead {
    Box::leak(Box::new(builder.build().expect("valid settings")))
}

/// Three callers, one permit: never two inside at once, and all of it back at the end.
#[test]
fn never_more_than_max_inside() {
    check("never_more_than_max_inside", ONE, |_| {
        let b = bulkhead(Bulkhead::builder().max(1));
        let inside: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let call = move || {
            let Ok(permit) = b.try_acquire() else {
                return false;
            };
            assert_eq!(inside.fetch_add(1, SeqCst), 0, "two calls inside");
            inside.fetch_sub(1, SeqCst);
            drop(permit);
            true
        };
        let threads: Vec<_> = (0..3).map(|_| thread::spawn(call)).collect();
        let admitted = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|admitted| *admitted)
            .count();
        assert!(admitted >= 1);
        assert_eq!(b.in_use(), 0);
        assert_eq!(b.stats().rejected, 3 - admitted as u64);
    });
}

/// A release racing a call that queues for it: the queued call always gets the permit.
#[test]
fn a_release_racing_a_queued_call_always_wakes_it() {
    check("a_release_racing_a_queued_call", BOTH, |reversed| {
        let b = bulkhead(Bulkhead::builder().max(1).queue(1));
        let held = b.try_acquire().expect("a free permit");
        let (_, got) = race(
            reversed,
            move || drop(held),
            move || loom::future::block_on(b.acquire()).map(drop).is_ok(),
        );
        assert!(got, "the queued call was handed the permit");
        assert_eq!((b.in_use(), b.queued()), (0, 0));
    });
}

/// Two queued calls, one release: the first queued gets the permit, the second gets it
/// when the first is done.
#[test]
fn two_queued_calls_are_both_served() {
    check("two_queued_calls_are_both_served", ONE, |_| {
        let b = bulkhead(Bulkhead::builder().max(1).queue(2));
        let held = b.try_acquire().expect("a free permit");
        let wait = move || loom::future::block_on(b.acquire()).map(drop).is_ok();
        let first = thread::spawn(wait);
        let second = thread::spawn(wait);
        drop(held);
        assert!(first.join().unwrap() && second.join().unwrap());
        assert_eq!((b.in_use(), b.queued()), (0, 0));
    });
}

/// A queued call dropped while the permit is released: nothing is leaked, and the next
/// call gets the permit.
#[test]
fn a_dropped_queued_call_leaks_nothing() {
    check("a_dropped_queued_call_leaks_nothing", BOTH, |reversed| {
        let b = bulkhead(Bulkhead::builder().max(1).queue(1));
        let held = b.try_acquire().expect("a free permit");
        race(
            reversed,
            move || drop(held),
            move || {
                let mut acquire = Box::pin(b.acquire());
                let waker = std::task::Waker::noop();
                let polled = acquire
                    .as_mut()
                    .poll(&mut std::task::Context::from_waker(waker));
                drop(polled);
                drop(acquire);
            },
        );
        assert_eq!((b.in_use(), b.queued()), (0, 0));
        assert!(b.try_acquire().is_ok());
    });
}

use std::future::Future as _;
