//! The registry of named breakers. It is process-wide and tests run in parallel, so
//! every test uses names of its own.

use std::ptr;
use std::sync::Barrier;

use resilience_core::circuit::{CircuitBreaker, State, Stats};
use resilience_core::registry;

macro_rules! breaker {
    ($name:literal) => {
        match CircuitBreaker::builder().name($name).threshold(1).build() {
            Ok(breaker) => breaker,
            Err(_) => panic!(),
        }
    };
}

/// How many registered breakers are `breaker` itself.
fn entries_of(breaker: &CircuitBreaker) -> usize {
    registry::circuits()
        .into_iter()
        .filter(|b| ptr::eq(*b, breaker))
        .count()
}

#[test]
fn an_unknown_name_is_not_found() {
    assert!(registry::circuit("registry::never-registered").is_none());
    assert!(registry::circuit("").is_none());
}

#[test]
fn a_breaker_is_found_only_once_registered() {
    static GPT4: CircuitBreaker = breaker!("registry::gpt4");
    assert!(registry::circuit("registry::gpt4").is_none());
    assert_eq!(entries_of(&GPT4), 0);

    let same = GPT4.register();
    assert!(ptr::eq(same, &GPT4));
    let found = registry::circuit("registry::gpt4").expect("registered");
    assert!(ptr::eq(found, &GPT4));
    assert_eq!(entries_of(&GPT4), 1);
}

#[test]
fn lookups_see_the_live_breaker() {
    static LIVE: CircuitBreaker = breaker!("registry::live");
    LIVE.register().try_acquire().unwrap().failure();
    let found = registry::circuit("registry::live").unwrap();
    assert_eq!(found.state(), State::Open);
    assert_eq!(
        found.stats(),
        Stats {
            calls: 1,
            failures: 1,
            ..Stats::default()
        }
    );
}

#[test]
fn registering_again_changes_nothing() {
    static TWICE: CircuitBreaker = breaker!("registry::twice");
    for _ in 0..3 {
        TWICE.register();
        registry::register(&TWICE);
    }
    assert_eq!(entries_of(&TWICE), 1);
    assert!(ptr::eq(
        registry::circuit("registry::twice").unwrap(),
        &TWICE
    ));
}

#[test]
fn racing_first_registrations_register_once() {
    static RACED: CircuitBreaker = breaker!("registry::raced");
    let barrier = Barrier::new(8);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                barrier.wait();
                let breaker = RACED.register();
                // Whoever returns from `register` finds it in the registry.
                assert!(ptr::eq(
                    registry::circuit("registry::raced").unwrap(),
                    breaker
                ));
            });
        }
    });
    assert_eq!(entries_of(&RACED), 1);
}

#[test]
fn a_second_breaker_with_a_taken_name_is_listed_but_not_looked_up() {
    static FIRST: CircuitBreaker = breaker!("registry::shared-name");
    static SECOND: CircuitBreaker = breaker!("registry::shared-name");
    FIRST.register();
    SECOND.register();
    assert!(ptr::eq(
        registry::circuit("registry::shared-name").unwrap(),
        &FIRST
    ));
    assert_eq!(entries_of(&FIRST), 1);
    assert_eq!(entries_of(&SECOND), 1);
}

#[test]
fn circuits_lists_in_registration_order() {
    static A: CircuitBreaker = breaker!("registry::order-a");
    static B: CircuitBreaker = breaker!("registry::order-b");
    B.register();
    A.register();
    let all = registry::circuits();
    let position = |b: &CircuitBreaker| all.iter().position(|x| ptr::eq(*x, b)).unwrap();
    assert!(position(&B) < position(&A));
}

#[test]
fn a_leaked_breaker_can_register_too() {
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(breaker!("registry::leaked")));
    breaker.register();
    assert!(ptr::eq(
        registry::circuit("registry::leaked").unwrap(),
        breaker
    ));
}
