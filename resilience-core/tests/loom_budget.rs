//! The retry budget's window, model-checked with loom.
//!
//! Loom runs each model under every interleaving of the window's atomic operations (up
//! to a preemption bound), letting relaxed loads return every value the memory model
//! allows, so these hold in every execution it explores:
//!
//! - no deposit is lost or counted twice: deposits racing the first start, a placing,
//!   or each other are all in the window once everything settles;
//! - withdrawals never overdraw: racing withdrawals (at the same tick, or at two ticks
//!   that share the window) together take at most what the window holds, and one that
//!   is refused leaves no cost behind;
//! - a placing at a later tick racing one at an earlier tick loses nothing.
//!
//! Build and run (a separate target dir keeps the normal build's artefacts):
//!
//! ```text
//! RUSTFLAGS="--cfg loom -C debug-assertions -C overflow-checks" \
//! CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!     cargo test -p resilience-core --test loom_budget --release -- --nocapture
//! ```
//!
//! As in `loom_circuit.rs`, every actor is a spawned thread, and asymmetric models run
//! once with the actors spawned in each order.
#![cfg(loom)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use loom::thread;
use resilience_core::retry::budget::loom_window::Window;

/// One retry, in the window's units (thousandths).
const RETRY: u64 = 1000;

fn check(name: &str, orders: &[bool], model: impl Fn(bool) + Sync + Send + 'static) {
    let model = Arc::new(model);
    for &reversed in orders {
        let executions = Arc::new(AtomicUsize::new(0));
        let counter = executions.clone();
        let model = model.clone();
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound.get_or_insert(3);
        let bound = builder.preemption_bound.unwrap_or_default();
        let started = Instant::now();
        builder.check(move || {
            counter.fetch_add(1, SeqCst);
            model(reversed);
        });
        eprintln!(
            "loom {name}{}: {} executions in {:.2?} (preemption bound {bound})",
            if reversed { " (reversed)" } else { "" },
            executions.load(SeqCst),
            started.elapsed()
        );
    }
}

const BOTH: &[bool] = &[false, true];
const ONE: &[bool] = &[false];

fn race<A, B>(
    reversed: bool,
    a: impl FnOnce() -> A + Send + 'static,
    b: impl FnOnce() -> B + Send + 'static,
) -> (A, B)
where
    A: Send + 'static,
    B: Send + 'static,
{
    if reversed {
        let b = thread::spawn(b);
        let a = thread::spawn(a);
        (a.join().unwrap(), b.join().unwrap())
    } else {
        let a = thread::spawn(a);
        let b = thread::spawn(b);
        (a.join().unwrap(), b.join().unwrap())
    }
}

fn window() -> &'static Window {
    Box::leak(Box::new(Window::new()))
}

/// A deposit as the budget makes it: the cold path starts the window at `tick`.
fn deposit(window: &Window, tick: u64) {
    if window.deposit() {
        window.start(tick);
    }
}

#[test]
fn first_deposits_racing_the_start_are_all_counted() {
    check("first deposits", ONE, |reversed| {
        let w = window();
        race(reversed, move || deposit(w, 0), move || deposit(w, 0));
        w.settle(1);
        assert_eq!(w.sums(1).0, 2);
    });
}

#[test]
fn deposits_racing_a_placing_are_placed_once() {
    check("deposit vs placing", BOTH, |reversed| {
        let w = window();
        deposit(w, 0);
        race(
            reversed,
            move || {
                deposit(w, 0);
                deposit(w, 0);
            },
            move || w.settle(2),
        );
        w.settle(3);
        assert_eq!(w.sums(3).0, 3);
    });
}

#[test]
fn placings_at_two_ticks_lose_nothing() {
    check("placing vs placing", BOTH, |reversed| {
        let w = window();
        deposit(w, 0);
        deposit(w, 0);
        deposit(w, 0);
        race(reversed, move || w.settle(4), move || w.settle(1));
        w.settle(5);
        assert_eq!(w.sums(5).0, 3);
    });
}

#[test]
fn racing_withdrawals_at_one_tick_never_overdraw() {
    check("withdrawals at one tick", ONE, |reversed| {
        let w = window();
        // Room for one retry: the floor's reserve.
        let (a, b) = race(
            reversed,
            move || w.try_withdraw(0, RETRY, RETRY, 0),
            move || w.try_withdraw(0, RETRY, RETRY, 0),
        );
        let admitted = u64::from(a) + u64::from(b);
        assert!(admitted <= 1, "two withdrawals out of room for one");
        assert_eq!(
            w.sums(0).1,
            admitted * RETRY,
            "a refused withdrawal left its cost"
        );
    });
}

#[test]
fn racing_withdrawals_across_a_tick_never_overdraw() {
    check("withdrawals across a tick", BOTH, |reversed| {
        let w = window();
        // Ticks 3 and 4 share every window that ends at 4 or later.
        let (a, b) = race(
            reversed,
            move || w.try_withdraw(3, RETRY, RETRY, 0),
            move || w.try_withdraw(4, RETRY, RETRY, 0),
        );
        let admitted = u64::from(a) + u64::from(b);
        assert!(admitted <= 1, "two withdrawals out of room for one");
        assert_eq!(w.sums(4).1, admitted * RETRY);
    });
}

#[test]
fn a_withdrawal_sees_the_deposits_placed_before_it() {
    check("withdrawal vs deposits", BOTH, |reversed| {
        let w = window();
        // No reserve; a fifth of a retry per deposit: five deposits pay for one.
        for _ in 0..4 {
            deposit(w, 0);
        }
        let (admitted, ()) = race(
            reversed,
            move || w.try_withdraw(0, RETRY, 0, RETRY / 5),
            move || deposit(w, 0),
        );
        // Admitted or not depending on whether the fifth deposit was counted first,
        // but never more than the five pay for, and never a cost left behind.
        w.settle(0);
        let (deposits, spent) = w.sums(0);
        assert_eq!(deposits, 5);
        assert_eq!(spent, u64::from(admitted) * RETRY);
    });
}
