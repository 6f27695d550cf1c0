//! Load: 10 000 calls against a backend that fails half the time, through
//! `#[retry(budget = ..)]` above `#[hedge]`, on tokio's paused clock.
//!
//! 100 calls a second for 100 s, each with up to 3 attempts, and each attempt hedged
//! after 300 ms (a tenth of the backend's answers take 1 s). Every retry and every hedge
//! is paid for by one budget (20 % of first attempts, 10 per second), so the backend
//! sees at most `first attempts × 1.2 + 10 × seconds` calls however badly it fails,
//! where `seconds` is the run rounded up to whole windows. The books must add up
//! exactly: every call made is a first attempt, a retry or a hedge, and the budget
//! refused the rest.
// Shared with the core tests; this file uses only part of it.
#[allow(dead_code)]
#[path = "../resilience-core/tests/support/events.rs"]
mod events;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use resilience::retry::RetryBudget;
use resilience::{hedge, retry};
use tokio::time::{Instant, sleep, sleep_until};

const CALLS: u64 = 10_000;
const PER_SECOND: u64 = 100;
const ATTEMPTS: u64 = 3;

static BUDGET: RetryBudget = match RetryBudget::builder().name("tests::load_budget").build() {
    Ok(budget) => budget,
    Err(_) => panic!("bad budget settings"),
};

/// What the backend saw: every call, and the hedged ones (a second copy of an attempt).
#[derive(Default)]
struct Backend {
    calls: Cell<u64>,
}

/// SplitMix64: the backend's dice, the same on every run.
fn dice(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE5_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[retry(attempts = 3, base = 100ms, jitter = "none", budget = &BUDGET)]
#[hedge(after = 300ms)]
async fn call(backend: &Backend) -> Result<(), String> {
    let n = backend.calls.get();
    backend.calls.set(n + 1);
    let roll = dice(n);
    let slow = roll % 10 == 0;
    sleep(Duration::from_millis(if slow { 1_000 } else { 50 })).await;
    if (roll >> 8) % 2 == 0 {
        Err("503".to_owned())
    } else {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn retries_and_hedges_stay_within_the_budget_under_a_failing_backend() {
    let backend = Rc::new(Backend::default());
    let failed = Rc::new(Cell::new(0_u64));
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    let run = local.run_until(async {
        let tasks: Vec<_> = (0..CALLS)
            .map(|i| {
                let (backend, failed) = (backend.clone(), failed.clone());
                tokio::task::spawn_local(async move {
                    sleep_until(start + Duration::from_millis(i * 1_000 / PER_SECOND)).await;
                    if call(&backend).await.is_err() {
                        failed.set(failed.get() + 1);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("no panic");
        }
    });
    let ((), events) = events::capture_async(run).await;
    let count = |message: &str| events.iter().filter(|e| e.message == message).count() as u64;
    let (retries, hedges, refused) = (
        count("retry scheduled"),
        count("hedging"),
        count("retry budget exhausted"),
    );

    let made = backend.calls.get();
    let extra = made - CALLS;
    // The run, rounded up to whole 10 s windows.
    let window = BUDGET.window().as_secs();
    let seconds = start.elapsed().as_secs().div_ceil(window) * window;
    let bound = CALLS * 12 / 10 + 10 * seconds;
    eprintln!(
        "{CALLS} first attempts, {retries} retries, {hedges} hedges ({refused} refused): \
         {made} calls in {:?} (bound {bound}); {} calls failed",
        start.elapsed(),
        failed.get()
    );
    // Every call the backend saw is a first attempt, a retry or a hedge.
    assert_eq!(made, CALLS + retries + hedges);
    assert!(made <= bound, "{made} calls, more than {bound}");
    assert!(refused > 0 && hedges > 0);
    // The budget did bind: unbounded, half the first attempts alone would retry.
    assert_eq!(extra, retries + hedges);
    assert!(extra > CALLS / 10, "{extra} retries and hedges");
    assert!(made < CALLS * ATTEMPTS);
    // A call fails only when its last attempt (or the budget) said so.
    assert!(failed.get() > 0 && failed.get() < CALLS);
    assert!(seconds >= CALLS / PER_SECOND);
}
