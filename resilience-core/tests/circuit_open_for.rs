//! `CircuitBreaker::open_for`: an open period on advice from outside (another replica),
//! on tokio's paused clock, with exact instants.

mod support;

use std::time::Duration;

use resilience_core::circuit::{CircuitBreaker, State};
use support::events::capture_async;
use tokio::time::advance;

const SECOND: Duration = Duration::from_secs(1);

/// threshold 2, recovery 10 s, one success closes it.
fn breaker() -> CircuitBreaker {
    CircuitBreaker::builder()
        .name("advised")
        .threshold(2)
        .recovery(10 * SECOND)
        .success_threshold(1)
        .build()
        .expect("valid settings")
}

#[tokio::test(start_paused = true)]
async fn an_advised_period_refuses_new_calls_then_probes_on_its_own() {
    let breaker = breaker();
    let in_flight = breaker.try_acquire().expect("closed");
    let ((), events) = capture_async(async {
        assert!(breaker.open_for(4 * SECOND));
    })
    .await;
    assert_eq!(breaker.state(), State::Open);
    assert!(breaker.opened_by_advice());
    assert_eq!(breaker.open_remaining(), Some(4 * SECOND));
    let open = breaker.try_acquire().unwrap_err();
    assert_eq!((open.state(), open.retry_in()), (State::Open, 4 * SECOND));
    assert!(
        events
            .iter()
            .any(|e| e.field("reason") == Some("advisory") && e.field("to") == Some("open")),
        "{events:?}"
    );
    // A call admitted before the advice finishes; its failure changes nothing.
    in_flight.failure();
    advance(4 * SECOND - Duration::from_nanos(1)).await;
    assert_eq!(
        breaker.try_acquire().unwrap_err().retry_in(),
        Duration::from_nanos(1)
    );
    advance(Duration::from_nanos(1)).await;
    assert_eq!(breaker.open_remaining(), Some(Duration::ZERO));
    // The period is over: the next call probes, and its own outcome decides.
    let probe = breaker.try_acquire().expect("a probe");
    assert_eq!(breaker.state(), State::HalfOpen);
    assert!(!breaker.opened_by_advice());
    assert_eq!(breaker.open_remaining(), None);
    probe.success();
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.stats().rejected, 2);
}

#[tokio::test(start_paused = true)]
async fn a_probe_failing_after_advice_opens_for_the_breakers_own_recovery() {
    let breaker = breaker();
    assert!(breaker.open_for(SECOND));
    advance(SECOND).await;
    breaker.try_acquire().expect("a probe").failure();
    assert_eq!(breaker.state(), State::Open);
    // Its own decision now: not advice, and its own recovery (not doubled).
    assert!(!breaker.opened_by_advice());
    assert_eq!(breaker.open_remaining(), Some(10 * SECOND));
}

#[tokio::test(start_paused = true)]
async fn advice_never_touches_an_open_or_isolated_breaker() {
    let breaker = breaker();
    for _ in 0..2 {
        breaker.try_acquire().unwrap().failure();
    }
    // Open on its own outcomes for 10 s: neither shortened nor lengthened.
    assert!(!breaker.open_for(SECOND));
    assert!(!breaker.open_for(60 * SECOND));
    assert_eq!(breaker.open_remaining(), Some(10 * SECOND));
    assert!(!breaker.opened_by_advice());

    breaker.isolate();
    assert!(!breaker.open_for(SECOND));
    assert_eq!(breaker.state(), State::Isolated);
    assert_eq!(breaker.open_remaining(), None);

    breaker.reset();
    assert!(!breaker.open_for(Duration::ZERO), "nothing to do");
    assert_eq!(breaker.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn advice_opens_a_half_open_breaker_and_keeps_its_growth() {
    let breaker = CircuitBreaker::builder()
        .threshold(2)
        .recovery(10 * SECOND)
        .recovery_max(60 * SECOND)
        .build()
        .expect("valid settings");
    for _ in 0..2 {
        breaker.try_acquire().unwrap().failure();
    }
    advance(10 * SECOND).await;
    let probe = breaker.try_acquire().expect("a probe");
    assert_eq!(breaker.state(), State::HalfOpen);
    assert!(breaker.open_for(3 * SECOND));
    assert_eq!(breaker.open_remaining(), Some(3 * SECOND));
    // The probe admitted before the advice is stale: its success does not close it.
    probe.success();
    assert_eq!(breaker.state(), State::Open);
    advance(3 * SECOND).await;
    breaker.try_acquire().expect("a probe").failure();
    // Re-opened from half-open once (the advice does not count): 20 s.
    assert_eq!(breaker.open_remaining(), Some(20 * SECOND));
}

#[tokio::test(start_paused = true)]
async fn a_late_server_delay_still_lengthens_an_advised_period() {
    let breaker = breaker();
    let in_flight = breaker.try_acquire().expect("closed");
    assert!(breaker.open_for(SECOND));
    in_flight.failure_with_retry_after(5 * SECOND);
    assert_eq!(breaker.open_remaining(), Some(5 * SECOND));
}
