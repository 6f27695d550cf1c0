//! `#[circuit]`'s modes (DESIGN.md §6): failure rate over a window, slow calls, a
//! growing open period, server-driven open periods, keys, manual control and being
//! told of transitions. Exact instants and call counts on tokio's paused clock.
mod common;
#[path = "../resilience-core/tests/support/events.rs"]
#[allow(dead_code)]
mod events;

use std::time::Duration;

use common::{ApiError, Calls, secs};
use resilience::registry::{self, Value};
use resilience::{State, Stats, circuit};
use tokio::time::{Instant, advance, sleep};

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

/// Fails when `fail` says so.
#[circuit(name = "rate", failure_rate = 0.5, min_calls = 4, window = 10)]
async fn rated(fail: bool) -> Result<(), ApiError> {
    if fail { Err(ApiError::Network) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_failure_rate_opens_on_a_burst_the_consecutive_count_misses() {
    // Failures that alternate with successes: never two in a row, so `threshold = 2`
    // would never open; half of them failed, so the rate does, once 4 calls are in.
    for fail in [true, false, true] {
        let _ = rated(fail).await;
    }
    let breaker = registry::circuit("rate").unwrap();
    assert_eq!(breaker.state(), State::Closed); // 3 calls: below min_calls
    let _ = rated(false).await; // 2 of 4 failed, but a success never trips it
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(rated(true).await, Err(ApiError::Network)); // 3 of 5
    assert_eq!(breaker.state(), State::Open);
    assert!(matches!(rated(false).await, Err(ApiError::Open(_))));
    assert_eq!(breaker.stats(), stats(6, 2, 3, 1));
    let Some(Value::Ratio(rate)) = breaker_status("rate").get("failure_rate").cloned() else {
        panic!("a rate breaker reports its window")
    };
    assert!((rate - 0.6).abs() < 1e-9, "{rate}");
}

fn breaker_status(name: &str) -> resilience::registry::Status {
    resilience::registry::Protection::status(registry::circuit(name).unwrap())
}

#[circuit(name = "quiet", failure_rate = 0.5, min_calls = 5, window = 1m)]
async fn quiet(fail: bool) -> Result<(), ApiError> {
    if fail { Err(ApiError::Network) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_quiet_minute_with_one_failure_does_not_open_it() {
    assert_eq!(quiet(true).await, Err(ApiError::Network));
    advance(secs(30.0)).await;
    assert_eq!(quiet(true).await, Err(ApiError::Network));
    let breaker = registry::circuit("quiet").unwrap();
    assert_eq!(breaker.state(), State::Closed); // 2 of 2 failed, but only 2 calls
    // A minute later the first failure has left the window: 3 more calls make 4, not 5.
    advance(secs(31.0)).await;
    for _ in 0..3 {
        let _ = quiet(true).await;
    }
    assert_eq!(breaker.state(), State::Closed);
    let _ = quiet(true).await; // 5 in the window now, all failed
    assert_eq!(breaker.state(), State::Open);
}

static SLOW: Calls = Calls::new();

#[circuit(name = "slow", slow_call = 2s, slow_rate = 0.5, min_calls = 2, window = 10)]
async fn slow(takes: Duration) -> Result<(), ApiError> {
    SLOW.hit();
    sleep(takes).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn slow_successes_open_it_and_the_event_says_so() {
    let (_, events) = events::capture_async(async {
        slow(secs(1.0)).await.unwrap();
        slow(secs(2.0)).await.unwrap(); // exactly 2s is not slower than 2s
        slow(secs(2.5)).await.unwrap(); // 1 slow of 3
        slow(secs(3.0)).await.unwrap(); // 2 slow of 4: opens
    })
    .await;
    let breaker = registry::circuit("slow").unwrap();
    assert_eq!(breaker.state(), State::Open);
    assert!(matches!(slow(secs(0.0)).await, Err(ApiError::Open(_))));
    assert_eq!(SLOW.count(), 4);
    let opened: Vec<String> = events
        .iter()
        .filter(|e| e.field("to") == Some("open"))
        .map(events::Event::render)
        .collect();
    assert_eq!(opened.len(), 1);
    assert!(opened[0].contains("reason=slow_rate"), "{opened:?}");
}

static DOWN: Calls = Calls::new();

#[circuit(name = "growing", threshold = 1, recovery = 10s, recovery_max = 25s, success_threshold = 1)]
async fn growing(up: bool) -> Result<(), ApiError> {
    DOWN.hit();
    if up { Ok(()) } else { Err(ApiError::Network) }
}

/// How long the breaker says it stays open.
async fn retry_in() -> Duration {
    match growing(true).await {
        Err(ApiError::Open(open)) => open.retry_in(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn each_reopening_doubles_the_open_period_up_to_recovery_max() {
    let _ = growing(false).await;
    assert_eq!(retry_in().await, secs(10.0));
    advance(secs(10.0)).await;
    let _ = growing(false).await; // the probe fails: 20s
    assert_eq!(retry_in().await, secs(20.0));
    advance(secs(20.0)).await;
    let _ = growing(false).await; // 40s, capped at 25s
    assert_eq!(retry_in().await, secs(25.0));
    advance(secs(25.0)).await;
    growing(true).await.unwrap(); // the probe succeeds: closed, the growth forgotten
    let _ = growing(false).await;
    assert_eq!(retry_in().await, secs(10.0));
    assert_eq!(DOWN.count(), 5);
}

#[circuit(name = "told", threshold = 1, recovery = 30s, retry_after = common::server_delay)]
async fn told(retry_after: u64) -> Result<(), ApiError> {
    Err(ApiError::RateLimited {
        retry_after: secs(retry_after as f64),
    })
}

#[tokio::test(start_paused = true)]
async fn a_server_delay_longer_than_recovery_keeps_it_open_that_long() {
    let start = Instant::now();
    let _ = told(60).await; // a 429 with Retry-After: 60
    let Err(ApiError::Open(open)) = told(1).await else {
        panic!("open");
    };
    assert_eq!(open.retry_in(), secs(60.0));
    // Not probed after 30s.
    advance(secs(30.0)).await;
    assert!(matches!(told(1).await, Err(ApiError::Open(_))));
    advance(secs(30.0)).await;
    assert!(matches!(told(1).await, Err(ApiError::RateLimited { .. })));
    assert_eq!(start.elapsed(), secs(60.0));
}

#[circuit(name = "told-briefly", threshold = 1, recovery = 30s, retry_after = common::server_delay)]
async fn told_briefly() -> Result<(), ApiError> {
    Err(ApiError::RateLimited {
        retry_after: secs(5.0),
    })
}

#[tokio::test(start_paused = true)]
async fn a_server_delay_shorter_than_recovery_changes_nothing() {
    let _ = told_briefly().await;
    let Err(ApiError::Open(open)) = told_briefly().await else {
        panic!("open");
    };
    assert_eq!(open.retry_in(), secs(30.0));
}

// ---------------------------------------------------------------- keys

static KEYED: Calls = Calls::new();

#[circuit(name = "per-model", threshold = 2, recovery = 30s, key = model, max_keys = 2)]
async fn complete(model: &str, up: bool) -> Result<String, ApiError> {
    KEYED.hit();
    if up {
        Ok(format!("{model} answers"))
    } else {
        Err(ApiError::Network)
    }
}

#[tokio::test(start_paused = true)]
async fn each_key_has_its_own_breaker_and_open_ones_are_never_evicted() {
    // gpt-4 is down: its breaker opens; claude's does not.
    for _ in 0..2 {
        let _ = complete("gpt-4", false).await;
    }
    // The error names the family (it is `Copy`, and a key's breaker may be evicted);
    // the key is the caller's own argument.
    let Err(ApiError::Open(open)) = complete("gpt-4", true).await else {
        panic!("gpt-4's breaker is open")
    };
    assert_eq!(open.name(), "per-model");
    assert_eq!(complete("claude", true).await.unwrap(), "claude answers");
    let gpt4 = registry::circuit("per-model/gpt-4").expect("a member by name");
    assert_eq!(gpt4.state(), State::Open);
    assert_eq!(
        registry::circuit("per-model/claude").unwrap().state(),
        State::Closed
    );

    // A third model: the family holds 2, gpt-4 is open (never evicted) and kept for good
    // (looked up by name), so there is no room: the call goes through uncovered.
    assert_eq!(complete("mistral", true).await.unwrap(), "mistral answers");
    let family = registry::find("circuit", "per-model").unwrap().status();
    assert_eq!(family.get("keys"), Some(&Value::Count(2)));
    assert_eq!(family.get("refused"), Some(&Value::Count(1)));
    assert_eq!(KEYED.count(), 4);
}

#[circuit(name = "evicting", threshold = 1, key = host, max_keys = 2)]
async fn fetch(host: String) -> Result<(), ApiError> {
    let _ = host;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn idle_closed_keys_make_room_for_new_ones() {
    for host in ["a", "b", "c", "d"] {
        fetch(host.to_owned()).await.unwrap();
    }
    let family = registry::find("circuit", "evicting").unwrap().status();
    assert_eq!(family.get("keys"), Some(&Value::Count(2)));
    assert_eq!(family.get("refused"), Some(&Value::Count(0)));
    let Some(Value::Members(members)) = family.get("members") else {
        panic!("members");
    };
    let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["c", "d"]);
}

#[derive(Clone, Copy)]
enum Region {
    Eu,
    Us,
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Region::Eu => "eu",
            Region::Us => "us",
        })
    }
}

#[circuit(name = "regional", threshold = 1, key = region)]
fn regional(region: Region, up: bool) -> Result<(), ApiError> {
    if up { Ok(()) } else { Err(ApiError::Network) }
}

#[test]
fn a_key_may_be_anything_that_displays() {
    let _ = regional(Region::Eu, false);
    assert!(matches!(regional(Region::Eu, true), Err(ApiError::Open(_))));
    assert_eq!(regional(Region::Us, true), Ok(()));
    assert_eq!(
        registry::circuit("regional/eu").unwrap().state(),
        State::Open
    );
}

// ---------------------------------------------------------------- manual control

#[circuit(name = "manual", threshold = 1, recovery = 30s)]
async fn manual() -> Result<(), ApiError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn isolate_rejects_until_reset_and_subscribers_are_told() {
    let breaker = registry::circuit("manual").unwrap();
    let mut states = breaker.subscribe();
    assert_eq!(*states.borrow_and_update(), State::Closed);

    breaker.isolate();
    states.changed().await.unwrap();
    assert_eq!(*states.borrow_and_update(), State::Isolated);
    let Err(ApiError::Open(open)) = manual().await else {
        panic!("isolated");
    };
    assert_eq!(
        (open.state(), open.retry_in()),
        (State::Isolated, Duration::MAX)
    );
    advance(secs(3600.0)).await;
    assert!(matches!(manual().await, Err(ApiError::Open(_))));

    breaker.reset();
    states.changed().await.unwrap();
    assert_eq!(*states.borrow_and_update(), State::Closed);
    manual().await.unwrap();
    assert_eq!(breaker.stats(), stats(3, 1, 0, 2));
}

// ---------------------------------------------------------------- cancellation

#[circuit(name = "cancelled", failure_rate = 0.5, min_calls = 1, window = 10)]
async fn hangs() -> Result<(), ApiError> {
    sleep(secs(60.0)).await;
    Err(ApiError::Network)
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_call_counts_for_nothing_in_the_window() {
    for _ in 0..3 {
        let call = tokio::time::timeout(secs(1.0), hangs()).await;
        assert!(call.is_err(), "dropped at the deadline");
    }
    let breaker = registry::circuit("cancelled").unwrap();
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(
        breaker_status("cancelled").get("window_calls"),
        Some(&Value::Count(0))
    );
    assert_eq!(breaker.stats().ignored(), 3);
}
