//! The family on one thread: what it keeps, what it evicts, in which order.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use super::{Evict, Family};

/// A member that may be told to stay.
struct Stays(AtomicBool);

impl Stays {
    fn new() -> Self {
        Stays(AtomicBool::new(false))
    }
}

impl Evict for Stays {
    fn may_evict(&self) -> bool {
        !self.0.load(Relaxed)
    }
}

fn insert(family: &Family<String, Stays>, key: &str) -> bool {
    family
        .get_or_insert_with(key, || (key.to_owned(), Stays::new()))
        .is_some()
}

fn keys(family: &Family<String, Stays>) -> Vec<String> {
    let mut keys = Vec::new();
    family.for_each(|key, _| keys.push(key.clone()));
    keys.sort();
    keys
}

#[test]
fn a_key_is_made_once_and_found_again() {
    let family = Family::new(NonZeroUsize::new(4).unwrap());
    let mut made = 0;
    for _ in 0..3 {
        let member = family
            .get_or_insert_with("a", || {
                made += 1;
                ("a".to_owned(), Stays::new())
            })
            .unwrap();
        assert_eq!(member.key(), "a");
    }
    assert_eq!((made, family.len()), (1, 1));
}

#[test]
fn a_full_family_evicts_the_member_unused_the_longest() {
    let family = Family::new(NonZeroUsize::new(3).unwrap());
    for key in ["a", "b", "c"] {
        assert!(insert(&family, key));
    }
    // Every member was used since the last sweep: the first turn of the hand clears
    // the marks, the second takes the first unmarked one, "a".
    assert!(insert(&family, "d"));
    assert_eq!(keys(&family), ["b", "c", "d"]);
    // "b" and "c" lost their marks to that sweep; using "b" gives it a second chance.
    drop(family.get("b").unwrap());
    assert!(insert(&family, "e"));
    assert_eq!(keys(&family), ["b", "d", "e"]);
    assert_eq!(family.len(), 3);
}

#[test]
fn held_members_and_members_that_must_stay_are_never_evicted() {
    let family = Family::new(NonZeroUsize::new(2).unwrap());
    let held = family
        .get_or_insert_with("held", || ("held".to_owned(), Stays::new()))
        .unwrap();
    let open = family
        .get_or_insert_with("open", || ("open".to_owned(), Stays::new()))
        .unwrap();
    open.0.store(true, Relaxed);
    drop(open);
    assert!(!insert(&family, "new"));
    assert_eq!(family.refused(), 1);
    drop(held);
    assert!(insert(&family, "new"));
    assert_eq!(keys(&family), ["new", "open"]);
}

#[test]
fn a_kept_member_stays_for_good() {
    let family: &'static Family<String, Stays> =
        Box::leak(Box::new(Family::new(NonZeroUsize::new(1).unwrap())));
    let kept = family
        .get_or_insert_with("a", || ("a".to_owned(), Stays::new()))
        .unwrap()
        .keep();
    assert!(!insert(family, "b"));
    assert!(std::ptr::eq(kept, &*family.get("a").unwrap()));
}

#[test]
fn tables_grow_and_every_key_stays_findable() {
    let family: Family<u32, Stays> = Family::unbounded();
    for n in 0..1000 {
        assert!(
            family
                .get_or_insert_with(&n, || (n, Stays::new()))
                .is_some()
        );
    }
    assert_eq!(family.len(), 1000);
    assert!((0..1000).all(|n| family.get(&n).is_some_and(|m| *m.key() == n)));
    assert!(family.get(&1000).is_none());
}

#[test]
fn eviction_keeps_every_other_key_findable() {
    // Backward-shift deletion must not cut a probe chain: churn through many keys in a
    // small family and check every kept key after each step.
    let family = Family::new(NonZeroUsize::new(8).unwrap());
    for n in 0..500u32 {
        let key = format!("k{}", n.wrapping_mul(2_654_435_761) % 97);
        assert!(insert(&family, &key));
        let kept = keys(&family);
        assert!(kept.len() <= 8);
        for key in &kept {
            assert!(
                family.get(key.as_str()).is_some(),
                "{key} lost after step {n}"
            );
        }
    }
}
