//! Retry budgets on tokio's paused clock: the arithmetic at the floor and at the ratio,
//! window expiry, pricing, sharing by name, and a burst of failures whose retries stop
//! exactly at the budget.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use resilience_core::ConfigError;
use resilience_core::backoff::{Backoff, Jitter};
use resilience_core::pipeline::pipeline;
use resilience_core::registry::{self, Value};
use resilience_core::retry::{self, NoRetryAfter, Price, RetryBudget, RetryPolicy};
use support::events::capture_async;
use tokio::time::{Instant, advance};

/// `attempts` calls `delay` apart, no jitter.
const fn policy(attempts: u32, delay: Duration) -> RetryPolicy {
    ConfigError::unwrap_const(
        RetryPolicy::builder()
            .attempts(attempts)
            .backoff(ConfigError::unwrap_const(
                Backoff::fixed().base(delay).jitter(Jitter::None).build(),
            ))
            .build(),
    )
}

/// Two attempts, no delay: a whole test runs at one instant.
static TWO: RetryPolicy = policy(2, Duration::ZERO);
/// Three attempts, 1 s apart.
static THREE: RetryPolicy = policy(3, Duration::from_secs(1));

fn budget(ratio: f64, floor: f64) -> RetryBudget {
    RetryBudget::builder()
        .ratio(ratio)
        .floor(floor)
        .build()
        .expect("valid settings")
}

/// One call through a retry layer paid for by `budget`: each attempt fails while
/// `fail` says so. Returns the attempts made.
async fn call(budget: &RetryBudget, policy: &RetryPolicy, fail: bool) -> u32 {
    let attempts = Cell::new(0);
    let mut p = pipeline::<Result<(), &str>>()
        .retry(policy, |_| true, NoRetryAfter)
        .budget(budget)
        .build();
    let _ = p
        .run(|_| {
            attempts.set(attempts.get() + 1);
            async move { if fail { Err("503") } else { Ok(()) } }
        })
        .await;
    attempts.get()
}

#[tokio::test(start_paused = true)]
async fn the_floor_alone_pays_for_floor_times_window_retries() {
    // 1 retry per second over 10 s: a reserve of 10.
    let budget = budget(0.0, 1.0);
    let start = Instant::now();
    let mut attempts = Vec::new();
    for _ in 0..12 {
        attempts.push(call(&budget, &TWO, true).await);
    }
    assert_eq!(attempts, [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1]);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn the_ratio_pays_a_fifth_of_the_first_attempts() {
    let budget = budget(0.2, 0.0);
    for _ in 0..50 {
        assert_eq!(call(&budget, &TWO, false).await, 1);
    }
    // Failing call k deposits its own first attempt: its retry is paid while
    // retries (its own included) <= 0.2 * (50 + k). That holds for calls 1 to 12; after
    // that every fifth first attempt earns one more retry (calls 15 and 20).
    let mut attempts = Vec::new();
    for _ in 0..20 {
        attempts.push(call(&budget, &TWO, true).await);
    }
    let retried: Vec<usize> = (1..=20).filter(|k| attempts[k - 1] == 2).collect();
    assert_eq!(retried, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 20]);
    let stats = budget.stats();
    assert_eq!(
        (stats.first_attempts, stats.retries, stats.available),
        (70, 14.0, 0.0)
    );
}

#[tokio::test(start_paused = true)]
async fn retries_leave_the_window_exactly_one_window_after_their_tick() {
    let budget = budget(0.0, 0.2); // 2 retries per 10 s
    assert!(budget.try_withdraw(Price::Retry));
    assert!(budget.try_withdraw(Price::Retry));
    assert!(!budget.try_withdraw(Price::Retry));
    advance(Duration::from_millis(9_999)).await;
    assert!(!budget.try_withdraw(Price::Retry));
    // The first tick (0 s to 1 s) leaves at 10 s: both retries with it.
    advance(Duration::from_millis(1)).await;
    assert!(budget.try_withdraw(Price::Retry));
    assert!(budget.try_withdraw(Price::Retry));
    assert!(!budget.try_withdraw(Price::Retry));
}

#[tokio::test(start_paused = true)]
async fn first_attempts_leave_the_window_too() {
    let budget = budget(0.2, 0.0);
    for _ in 0..10 {
        budget.deposit();
    }
    assert_eq!(budget.available(), 2.0);
    advance(Duration::from_millis(9_999)).await;
    assert_eq!(budget.available(), 2.0);
    advance(Duration::from_millis(1)).await;
    assert_eq!(budget.available(), 0.0);
    assert!(!budget.try_withdraw(Price::Retry));
}

#[tokio::test(start_paused = true)]
async fn first_attempts_made_while_nothing_read_the_clock_are_spread_over_that_time() {
    let budget = budget(0.2, 0.0);
    budget.deposit(); // starts the window at tick 0
    advance(Duration::from_secs(20)).await;
    for _ in 0..99 {
        budget.deposit();
    }
    // 100 deposits between tick 0 and tick 20: 4 on each of the 21 ticks and the 16
    // left over on ticks 0 to 15. The window at tick 20 holds ticks 11 to 20:
    // 5 * 5 + 5 * 4.
    assert_eq!(budget.stats().first_attempts, 45);
    assert_eq!(budget.available(), 9.0);
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_failures_stops_retrying_exactly_at_the_budget() {
    // 100 calls fail at once; the budget holds 0.2 * 100 + a reserve of 10.
    let budget = Rc::new(budget(0.2, 1.0));
    let calls = Rc::new(Cell::new(0_u32));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let tasks: Vec<_> = (0..100)
                .map(|_| {
                    let (budget, calls) = (budget.clone(), calls.clone());
                    tokio::task::spawn_local(async move {
                        let made = call(&budget, &THREE, true).await;
                        calls.set(calls.get() + made);
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("no panic");
            }
        })
        .await;
    assert_eq!(calls.get(), 100 + 30);
    assert_eq!(budget.stats().retries, 30.0);
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_budget_gives_up_with_the_last_error_and_says_so() {
    let budget = budget(0.0, 0.0);
    let mut p = pipeline::<Result<(), &str>>()
        .name("tests::exhausted")
        .retry(&THREE, |_| true, NoRetryAfter)
        .budget(&budget)
        .build();
    let (result, events) = capture_async(p.run(|_| async { Err("503") })).await;
    assert_eq!(result, Err("503"));
    let event = events
        .iter()
        .find(|e| e.message == "retry budget exhausted")
        .expect("the event");
    assert_eq!(event.field("budget"), Some("retry_budget"));
    assert_eq!(event.field("attempt"), Some("1"));
    assert!(!events.iter().any(|e| e.message == "retry scheduled"));
}

#[tokio::test(start_paused = true)]
async fn retries_the_server_paced_cost_what_the_budget_says() {
    let budget = RetryBudget::builder()
        .ratio(0.0)
        .floor(0.2) // 2 retries per 10 s...
        .throttled_cost(0.5) // ...or 4 that waited out a Retry-After
        .build()
        .expect("valid settings");
    let paced = |_: &&str| Some(Duration::ZERO);
    let mut made = Vec::new();
    for _ in 0..3 {
        let attempts = Cell::new(0);
        let mut p = pipeline::<Result<(), &str>>()
            .retry(&THREE, |_| true, paced)
            .budget(&budget)
            .build();
        let _ = p
            .run(|_| {
                attempts.set(attempts.get() + 1);
                async { Err("429") }
            })
            .await;
        made.push(attempts.get());
    }
    // Four half-price retries, then none.
    assert_eq!(made, [3, 3, 1]);
}

#[tokio::test(start_paused = true)]
async fn functions_naming_one_budget_share_it_and_status_pages_see_it() {
    let shared = retry::budget::named("tests::budget::shared");
    assert!(std::ptr::eq(
        shared,
        retry::budget::named("tests::budget::shared")
    ));
    for _ in 0..5 {
        call(shared, &TWO, false).await;
    }
    let found = registry::find("retry_budget", "tests::budget::shared").expect("registered");
    let status = found.status();
    assert_eq!(status.get("first_attempts"), Some(&Value::Count(5)));
    assert_eq!(status.get("available"), Some(&Value::Ratio(101.0)));
    assert_eq!(
        status.get("window"),
        Some(&Value::Duration(Duration::from_secs(10)))
    );
}

#[test]
fn bad_settings_are_refused_with_the_key() {
    let key = |b: retry::RetryBudgetBuilder| b.build().map(drop).unwrap_err().key();
    assert_eq!(key(RetryBudget::builder().ratio(f64::NAN)), "ratio");
    assert_eq!(key(RetryBudget::builder().ratio(1001.0)), "ratio");
    assert_eq!(key(RetryBudget::builder().floor(-1.0)), "floor");
    assert_eq!(
        key(RetryBudget::builder().window(Duration::from_millis(9))),
        "window"
    );
    assert_eq!(
        key(RetryBudget::builder().throttled_cost(f64::INFINITY)),
        "throttled_cost"
    );
}
