//! The keyed family's lock-free lookup against its locked insert and evict, model-checked
//! with loom (see `loom_circuit.rs` for how the models are run and why every actor is a
//! spawned thread).
//!
//! What must hold in every interleaving:
//!
//! - a handle is always its key's member: a lookup racing the eviction of its key, and
//!   the reuse of the evicted slot for another key, gets the member of its key or none,
//!   never another key's (the slot's key is checked under a pin, and a pinned slot is
//!   never evicted);
//! - a member is made once per key: two callers of a missing key, or a lookup racing a
//!   growth of the table, never make a second one;
//! - the family keeps at most `max_keys` members, and a held member is never evicted.
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions -C overflow-checks" \
//! CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p resilience-core --test loom_keyed --release -- --nocapture
//! ```
#![cfg(loom)]

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use loom::thread;
use resilience_core::keyed::{Evict, Family};

/// A member that knows its key, and whether it agrees to go.
struct Member {
    key: u32,
    stays: bool,
}

impl Evict for Member {
    fn may_evict(&self) -> bool {
        !self.stays
    }
}

fn check(name: &str, model: impl Fn() + Sync + Send + 'static) {
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(3);
    let started = Instant::now();
    builder.check(move || {
        counter.fetch_add(1, SeqCst);
        model();
    });
    eprintln!(
        "loom {name}: {} executions in {:.2?}",
        executions.load(SeqCst),
        started.elapsed()
    );
}

fn family(max_keys: usize) -> &'static Family<u32, Member> {
    Box::leak(Box::new(Family::new(NonZeroUsize::new(max_keys).unwrap())))
}

fn make(key: u32) -> impl FnOnce() -> (u32, Member) {
    move || (key, Member { key, stays: false })
}

/// A lookup of key 1 races the insert of key 2 into a family of one, which must evict 1
/// and reuses its slot for 2 (the very slot the lookup looks at first, the last one
/// found). The lookup gets 1's member or nothing; the insert gets room only if the
/// lookup was not holding 1.
#[test]
fn a_lookup_racing_the_eviction_of_its_key() {
    check("a_lookup_racing_the_eviction_of_its_key", || {
        let f = family(1);
        drop(f.get_or_insert_with(&1, make(1)));
        // The lookup remembers 1's slot: the reader looks there first, while the
        // writer may be reusing it for 2.
        drop(f.get(&1));
        let reader = thread::spawn(move || {
            f.get(&1).map(|held| {
                assert_eq!((*held.key(), held.key), (1, 1), "another key's member");
                1
            })
        });
        let writer = thread::spawn(move || {
            f.get_or_insert_with(&2, make(2))
                .map(|held| (*held.key(), held.key))
        });
        let (read, wrote) = (reader.join().unwrap(), writer.join().unwrap());
        assert!(read.is_some() || wrote.is_some() || f.refused() == 1);
        if let Some(pair) = wrote {
            assert_eq!(pair, (2, 2));
        }
        assert!(f.len() <= 1);
        assert_eq!(f.refused(), u64::from(wrote.is_none()));
    });
}

/// Two callers ask for the same missing key: one member is made, both get it.
#[test]
fn a_key_is_made_once() {
    check("a_key_is_made_once", || {
        let f = family(4);
        let made = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let ask = |made: Arc<loom::sync::atomic::AtomicUsize>| {
            move || {
                let held = f
                    .get_or_insert_with(&7, || {
                        made.fetch_add(1, SeqCst);
                        (
                            7,
                            Member {
                                key: 7,
                                stays: false,
                            },
                        )
                    })
                    .unwrap();
                held.key
            }
        };
        let a = thread::spawn(ask(made.clone()));
        let b = thread::spawn(ask(made.clone()));
        assert_eq!((a.join().unwrap(), b.join().unwrap()), (7, 7));
        assert_eq!(made.load(SeqCst), 1);
        assert_eq!(f.len(), 1);
    });
}

/// A lookup of a kept key races inserts that grow the table past its first size (a
/// family that never evicts, as the per-type breakers are): the lookup finds it, or
/// misses and finds it under the lock, never makes a second one.
#[test]
fn a_lookup_racing_a_growth_of_the_table() {
    check("a_lookup_racing_a_growth_of_the_table", || {
        let f: &'static Family<u32, Member> = Box::leak(Box::new(Family::unbounded()));
        for key in 0..4 {
            drop(f.get_or_insert_with(&key, make(key)));
        }
        let reader = thread::spawn(move || {
            f.get_or_insert_with(&0, || panic!("0 is there"))
                .unwrap()
                .key
        });
        // The fifth key grows the table from 8 entries to 16.
        let writer = thread::spawn(move || f.get_or_insert_with(&4, make(4)).unwrap().key);
        assert_eq!((reader.join().unwrap(), writer.join().unwrap()), (0, 4));
        assert_eq!(f.len(), 5);
    });
}

/// A member that must stay is never evicted, even when a held one leaves no other room.
#[test]
fn members_that_must_stay_are_kept() {
    check("members_that_must_stay_are_kept", || {
        let f = family(1);
        drop(f.get_or_insert_with(&1, || {
            (
                1,
                Member {
                    key: 1,
                    stays: true,
                },
            )
        }));
        let a = thread::spawn(move || f.get_or_insert_with(&2, make(2)).is_some());
        let b = thread::spawn(move || f.get(&1).map(|held| held.key));
        assert!(!a.join().unwrap());
        assert_eq!(b.join().unwrap(), Some(1));
        assert_eq!(f.get(&1).map(|held| held.key), Some(1));
    });
}
