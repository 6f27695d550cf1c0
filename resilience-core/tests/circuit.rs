//! Behaviour of the circuit breaker: every test runs on tokio's paused clock (or checks
//! counts only) and asserts the state and the statistics after every step.

mod support;

use std::future::pending;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use resilience_core::ConfigError;
use resilience_core::circuit::{
    CircuitBreaker, CircuitBreakerBuilder, CircuitOpen, Permit, State, Stats,
};
use support::events::{Capture, Event, capture_async};
use tokio::time::{Instant, advance};

const SECOND: Duration = Duration::from_secs(1);
const NANO: Duration = Duration::from_nanos(1);

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

/// Asserts the state and the four counters in one line.
#[track_caller]
fn check(breaker: &CircuitBreaker, state: State, expected: Stats) {
    assert_eq!(
        (breaker.state(), breaker.stats()),
        (state, expected),
        "{breaker:?}"
    );
}

fn build(builder: CircuitBreakerBuilder) -> CircuitBreaker {
    builder.build().expect("valid settings")
}

/// threshold 3, recovery 30s, success_threshold 2, probes 2 (the defaults), named "api".
fn default_breaker() -> CircuitBreaker {
    build(CircuitBreaker::builder().name("api"))
}

/// Opens `breaker` with `threshold` consecutive failures.
fn trip(breaker: &CircuitBreaker) {
    for _ in 0..breaker.threshold() {
        breaker.try_acquire().expect("closed").failure();
    }
    assert_eq!(breaker.state(), State::Open);
}

#[track_caller]
fn rejected(result: Result<Permit<'_>, CircuitOpen>) -> CircuitOpen {
    match result {
        Ok(permit) => panic!("expected a rejection, got {permit:?}"),
        Err(err) => err,
    }
}

#[derive(Debug, PartialEq)]
enum ApiError {
    Unavailable,
    BadRequest,
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(open: CircuitOpen) -> Self {
        ApiError::Open(open)
    }
}

// ---------------------------------------------------------------- configuration

#[test]
fn defaults_match_the_design() {
    let breaker = build(CircuitBreaker::builder());
    assert_eq!(breaker.name(), "circuit");
    assert_eq!(breaker.threshold(), 3);
    assert_eq!(breaker.recovery(), Duration::from_secs(30));
    assert_eq!(breaker.success_threshold(), 2);
    assert_eq!(breaker.probes(), 2);
    check(&breaker, State::Closed, Stats::default());
    assert_eq!(CircuitBreakerBuilder::default(), CircuitBreaker::builder());
}

#[test]
fn probes_follow_success_threshold_unless_set() {
    let breaker = build(CircuitBreaker::builder().success_threshold(5));
    assert_eq!(breaker.probes(), 5);
    let breaker = build(CircuitBreaker::builder().probes(1).success_threshold(5));
    assert_eq!((breaker.probes(), breaker.success_threshold()), (1, 5));
    let breaker = build(CircuitBreaker::builder().probes(7).success_threshold(2));
    assert_eq!(breaker.probes(), 7);
}

#[test]
fn build_rejects_bad_settings() {
    let err = |builder: CircuitBreakerBuilder| builder.build().map(drop).unwrap_err();
    let b = CircuitBreaker::builder;
    assert_eq!(
        err(b().name("")),
        ConfigError::new("name", "must not be empty")
    );
    assert_eq!(
        err(b().threshold(0)),
        ConfigError::new("threshold", "must be at least 1")
    );
    assert_eq!(
        err(b().success_threshold(0)),
        ConfigError::new("success_threshold", "must be at least 1")
    );
    assert_eq!(
        err(b().success_threshold(65_536)),
        ConfigError::new("success_threshold", "must be at most 65535")
    );
    assert_eq!(
        err(b().probes(0)),
        ConfigError::new("probes", "must be at least 1")
    );
    assert_eq!(
        err(b().success_threshold(3).probes(65_536)),
        ConfigError::new("probes", "must be at most 65535")
    );
    // The limits themselves are fine, and so are extreme durations.
    let breaker = build(
        b().threshold(u32::MAX)
            .success_threshold(65_535)
            .probes(65_535)
            .recovery(Duration::MAX),
    );
    assert_eq!(breaker.threshold(), u32::MAX);
    build(b().recovery(Duration::ZERO));
}

static STATIC_BREAKER: CircuitBreaker = match CircuitBreaker::builder().name("x").build() {
    Ok(b) => b,
    Err(_) => panic!(),
};

#[test]
fn a_breaker_can_be_a_static() {
    assert_eq!(STATIC_BREAKER.name(), "x");
    STATIC_BREAKER.try_acquire().expect("closed").success();
    assert_eq!(STATIC_BREAKER.stats(), stats(1, 1, 0, 0));
}

#[test]
fn permits_are_small() {
    // The breaker, the generation and probe flag, and when a timed call started.
    assert!(size_of::<Permit<'_>>() <= 24, "{}", size_of::<Permit<'_>>());
    // The state word and the read-mostly settings on their own 128-byte lines (256);
    // what calls write (the counters and the rate modes' 16-bucket window, 304 bytes)
    // on three more (384).
    assert_eq!(size_of::<CircuitBreaker>(), 640);
}

// ---------------------------------------------------------------- closed → open

#[tokio::test(start_paused = true)]
async fn consecutive_failures_open_it_and_a_success_resets_the_count() {
    let breaker = default_breaker();

    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(1, 0, 1, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(2, 0, 2, 0));
    breaker.try_acquire().unwrap().success(); // the count starts again
    check(&breaker, State::Closed, stats(3, 1, 2, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(4, 1, 3, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(5, 1, 4, 0));
    breaker.try_acquire().unwrap().failure(); // third in a row
    check(&breaker, State::Open, stats(6, 1, 5, 0));
}

#[tokio::test(start_paused = true)]
async fn open_rejects_with_the_name_and_the_exact_time_left() {
    let breaker = default_breaker();
    let t0 = Instant::now();
    trip(&breaker);
    check(&breaker, State::Open, stats(3, 0, 3, 0));

    let err = rejected(breaker.try_acquire());
    assert_eq!(err, CircuitOpen::new("api", Duration::from_secs(30)));
    assert_eq!(err.state(), State::Open);
    assert_eq!(err.to_string(), "circuit `api` is open; retry in 30s");
    check(&breaker, State::Open, stats(4, 0, 3, 1));

    advance(Duration::from_millis(17_500)).await;
    let err = rejected(breaker.try_acquire());
    assert_eq!(err.retry_in(), Duration::from_millis(12_500));
    assert_eq!(err.to_string(), "circuit `api` is open; retry in 12.5s");
    check(&breaker, State::Open, stats(5, 0, 3, 2));
    // Rounded for people in the message, exact in the field.
    advance(NANO).await;
    let err = rejected(breaker.try_acquire());
    assert_eq!(err.retry_in(), Duration::from_millis(12_500) - NANO);
    assert_eq!(err.to_string(), "circuit `api` is open; retry in 12.5s");
    check(&breaker, State::Open, stats(6, 0, 3, 3));

    advance(Duration::from_millis(12_500) - NANO - NANO).await;
    assert_eq!(Instant::now() - t0, Duration::from_secs(30) - NANO);
    assert_eq!(rejected(breaker.try_acquire()).retry_in(), NANO);
    check(&breaker, State::Open, stats(7, 0, 3, 4));
}

#[tokio::test(start_paused = true)]
async fn sleeping_for_retry_in_is_exactly_enough() {
    let breaker = default_breaker();
    let t0 = Instant::now();
    trip(&breaker);
    advance(Duration::from_secs(11)).await;

    let err = rejected(breaker.try_acquire());
    tokio::time::sleep(err.retry_in()).await;
    assert_eq!(Instant::now() - t0, Duration::from_secs(30));
    let probe = breaker.try_acquire().expect("recovered");
    assert!(probe.is_probe());
    check(&breaker, State::HalfOpen, stats(4, 0, 3, 1));
    probe.success();
    check(&breaker, State::HalfOpen, stats(5, 1, 3, 1));
}

// ---------------------------------------------------------------- open → half-open

#[tokio::test(start_paused = true)]
async fn after_recovery_the_next_call_moves_it_to_half_open() {
    let breaker = default_breaker();
    trip(&breaker);

    advance(Duration::from_secs(30)).await;
    // Reading never moves it: the call does.
    assert_eq!(breaker.state(), State::Open);
    advance(Duration::from_secs(60)).await;
    assert_eq!(breaker.state(), State::Open);

    let probe = breaker.try_acquire().expect("first probe");
    assert!(probe.is_probe());
    check(&breaker, State::HalfOpen, stats(3, 0, 3, 0));
    probe.ignore();
    check(&breaker, State::HalfOpen, stats(4, 0, 3, 0));
}

#[tokio::test(start_paused = true)]
async fn half_open_admits_at_most_probes_at_once() {
    let breaker = build(
        CircuitBreaker::builder()
            .name("api")
            .success_threshold(3)
            .probes(2),
    );
    trip(&breaker);
    advance(Duration::from_secs(30)).await;

    let p1 = breaker.try_acquire().expect("probe 1");
    let p2 = breaker.try_acquire().expect("probe 2");
    check(&breaker, State::HalfOpen, stats(3, 0, 3, 0));

    let err = rejected(breaker.try_acquire());
    assert_eq!(err.name(), "api");
    assert_eq!(err.state(), State::HalfOpen);
    assert_eq!(err.retry_in(), Duration::ZERO);
    assert_eq!(
        err.to_string(),
        "circuit `api` is half-open and all its probe slots are taken; retry in 0s"
    );
    check(&breaker, State::HalfOpen, stats(4, 0, 3, 1));

    p1.success(); // frees a slot, 1 of 3 successes
    check(&breaker, State::HalfOpen, stats(5, 1, 3, 1));
    let p3 = breaker.try_acquire().expect("slot freed by p1");
    rejected(breaker.try_acquire());
    check(&breaker, State::HalfOpen, stats(6, 1, 3, 2));

    p2.success();
    check(&breaker, State::HalfOpen, stats(7, 2, 3, 2));
    p3.success(); // third success
    check(&breaker, State::Closed, stats(8, 3, 3, 2));
}

// ---------------------------------------------------------------- half-open → closed / open

#[tokio::test(start_paused = true)]
async fn success_threshold_successes_close_it_with_a_fresh_count() {
    let breaker = default_breaker();
    trip(&breaker);
    advance(Duration::from_secs(30)).await;

    let p1 = breaker.try_acquire().unwrap();
    let p2 = breaker.try_acquire().unwrap();
    p1.success();
    check(&breaker, State::HalfOpen, stats(4, 1, 3, 0));
    p2.success();
    check(&breaker, State::Closed, stats(5, 2, 3, 0));

    // Closed again, with a fresh consecutive-failure count.
    breaker.try_acquire().unwrap().failure();
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(7, 2, 5, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Open, stats(8, 2, 6, 0));
}

#[tokio::test(start_paused = true)]
async fn fewer_probes_than_successes_close_it_one_probe_at_a_time() {
    let breaker = build(
        CircuitBreaker::builder()
            .threshold(1)
            .success_threshold(3)
            .probes(1),
    );
    trip(&breaker);
    advance(Duration::from_secs(30)).await;

    for done in 1..=2 {
        let probe = breaker.try_acquire().unwrap();
        rejected(breaker.try_acquire());
        probe.success();
        check(
            &breaker,
            State::HalfOpen,
            stats(1 + 2 * done, done, 1, done),
        );
    }
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::Closed, stats(6, 3, 1, 2));
}

#[tokio::test(start_paused = true)]
async fn any_failure_in_half_open_reopens_with_a_fresh_recovery() {
    let breaker = default_breaker();
    let t0 = Instant::now();
    trip(&breaker);
    advance(Duration::from_secs(30)).await;

    let p1 = breaker.try_acquire().unwrap();
    let p2 = breaker.try_acquire().unwrap();
    p1.success();
    check(&breaker, State::HalfOpen, stats(4, 1, 3, 0));

    advance(Duration::from_secs(5)).await;
    p2.failure();
    check(&breaker, State::Open, stats(5, 1, 4, 0));
    assert_eq!(Instant::now() - t0, Duration::from_secs(35));

    // A full recovery period from the failure, not from the first opening.
    assert_eq!(
        rejected(breaker.try_acquire()).retry_in(),
        Duration::from_secs(30)
    );
    advance(Duration::from_secs(30) - NANO).await;
    assert_eq!(rejected(breaker.try_acquire()).retry_in(), NANO);
    check(&breaker, State::Open, stats(7, 1, 4, 2));
    advance(NANO).await;
    let probe = breaker.try_acquire().expect("recovered again");
    check(&breaker, State::HalfOpen, stats(7, 1, 4, 2));
    // Successes from the previous half-open period do not carry over.
    probe.success();
    check(&breaker, State::HalfOpen, stats(8, 2, 4, 2));
}

/// Every paused runtime starts its virtual clock at the real time it was built, so two
/// runtimes in one process disagree about "now". A breaker used on the runtime that is
/// behind must still keep exact time even if the process-wide epoch was taken on the
/// one that is ahead.
#[test]
fn breakers_keep_exact_time_on_runtimes_whose_clocks_disagree() {
    let paused = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    };
    let behind = paused();
    let ahead = paused();
    ahead.block_on(async {
        advance(Duration::from_secs(3600)).await;
        trip(&default_breaker());
    });
    behind.block_on(async {
        let breaker = default_breaker();
        trip(&breaker);
        assert_eq!(
            rejected(breaker.try_acquire()).retry_in(),
            Duration::from_secs(30)
        );
        advance(Duration::from_secs(30) - NANO).await;
        assert_eq!(rejected(breaker.try_acquire()).retry_in(), NANO);
        advance(NANO).await;
        breaker.try_acquire().expect("recovered").success();
        check(&breaker, State::HalfOpen, stats(6, 1, 3, 2));
    });
}

// ---------------------------------------------------------------- ignore, cancel, panic

#[tokio::test(start_paused = true)]
async fn ignore_counts_as_neither() {
    let breaker = default_breaker();
    breaker.try_acquire().unwrap().failure();
    breaker.try_acquire().unwrap().failure();
    breaker.try_acquire().unwrap().ignore(); // does not reset the count...
    check(&breaker, State::Closed, stats(3, 0, 2, 0));
    assert_eq!(breaker.stats().ignored(), 1);
    breaker.try_acquire().unwrap().ignore(); // ...nor add to it
    check(&breaker, State::Closed, stats(4, 0, 2, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Open, stats(5, 0, 3, 0));

    advance(Duration::from_secs(30)).await;
    let p1 = breaker.try_acquire().unwrap();
    let p2 = breaker.try_acquire().unwrap();
    rejected(breaker.try_acquire());
    p1.ignore(); // frees its slot, counts as no success
    check(&breaker, State::HalfOpen, stats(7, 0, 3, 1));
    let p3 = breaker.try_acquire().expect("slot freed by ignore");
    p2.success();
    check(&breaker, State::HalfOpen, stats(8, 1, 3, 1));
    p3.success();
    check(&breaker, State::Closed, stats(9, 2, 3, 1));
    assert_eq!(breaker.stats().ignored(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_dropped_probe_gives_its_slot_back_and_counts_as_nothing() {
    let breaker = build(
        CircuitBreaker::builder()
            .threshold(1)
            .success_threshold(1)
            .probes(1),
    );
    trip(&breaker);
    advance(Duration::from_secs(30)).await;

    // Six cancelled probes in a row: a breaker that leaked slots would be wedged.
    for cancelled in 1..=6 {
        let probe = breaker.try_acquire().expect("the slot is free");
        rejected(breaker.try_acquire());
        drop(probe);
        check(
            &breaker,
            State::HalfOpen,
            stats(1 + 2 * cancelled, 0, 1, cancelled),
        );
        assert_eq!(breaker.stats().ignored(), cancelled);
    }
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::Closed, stats(14, 1, 1, 6));
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_call_future_gives_its_slot_back() {
    let breaker = build(
        CircuitBreaker::builder()
            .threshold(1)
            .success_threshold(1)
            .probes(1),
    );
    trip(&breaker);
    advance(Duration::from_secs(30)).await;
    let t0 = Instant::now();

    // A probe that hangs until its caller gives up after 5s.
    let hung = breaker.call(pending::<Result<(), ApiError>>());
    let timed_out = tokio::time::timeout(Duration::from_secs(5), hung).await;
    assert!(timed_out.is_err());
    assert_eq!(Instant::now() - t0, Duration::from_secs(5));
    check(&breaker, State::HalfOpen, stats(2, 0, 1, 0));

    let served: Result<u32, ApiError> = breaker.call(async { Ok(7) }).await;
    assert_eq!(served, Ok(7));
    check(&breaker, State::Closed, stats(3, 1, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_probe_whose_task_panics_counts_as_a_failure() {
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(build(
        CircuitBreaker::builder().name("panicky").threshold(1),
    )));
    trip(breaker);
    advance(Duration::from_secs(30)).await;
    let t0 = Instant::now();

    let task = tokio::spawn(breaker.call(async {
        tokio::time::sleep(SECOND).await;
        if breaker.name() == "panicky" {
            panic!("probe blew up");
        }
        Ok::<(), ApiError>(())
    }));
    let err = task.await.expect_err("the task panicked");
    assert!(err.is_panic());
    assert_eq!(Instant::now() - t0, SECOND);
    check(breaker, State::Open, stats(2, 0, 2, 0));
    assert_eq!(
        rejected(breaker.try_acquire()).retry_in(),
        Duration::from_secs(30)
    );
}

#[test]
fn a_panicking_call_counts_as_a_failure() {
    let breaker = build(CircuitBreaker::builder().threshold(2));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        breaker.call_blocking(|| -> Result<(), ApiError> { panic!("boom") })
    }));
    assert!(outcome.is_err());
    check(&breaker, State::Closed, stats(1, 0, 1, 0));

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _permit = breaker.try_acquire().unwrap();
        panic!("boom while holding a permit");
    }));
    assert!(outcome.is_err());
    check(&breaker, State::Open, stats(2, 0, 2, 0));
}

// ---------------------------------------------------------------- generations

#[tokio::test(start_paused = true)]
async fn a_permit_from_an_earlier_closed_period_does_not_touch_the_new_one() {
    let breaker = build(CircuitBreaker::builder().threshold(2).success_threshold(1));
    let slow_failure = breaker.try_acquire().unwrap();
    let slow_success = breaker.try_acquire().unwrap();

    trip(&breaker);
    advance(Duration::from_secs(30)).await;
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::Closed, stats(3, 1, 2, 0));

    slow_failure.failure(); // counted in stats, not in the new failure count
    check(&breaker, State::Closed, stats(4, 1, 3, 0));
    breaker.try_acquire().unwrap().failure(); // 1 of 2
    check(&breaker, State::Closed, stats(5, 1, 4, 0));

    slow_success.success(); // does not reset the new count
    check(&breaker, State::Closed, stats(6, 2, 4, 0));
    breaker.try_acquire().unwrap().failure(); // 2 of 2
    check(&breaker, State::Open, stats(7, 2, 5, 0));
}

#[tokio::test(start_paused = true)]
async fn a_probe_from_an_earlier_half_open_period_does_not_touch_the_new_one() {
    let breaker = build(CircuitBreaker::builder().success_threshold(2).probes(3));
    trip(&breaker);
    advance(Duration::from_secs(30)).await;
    let p1 = breaker.try_acquire().unwrap();
    let stale_drop = breaker.try_acquire().unwrap();
    let stale_failure = breaker.try_acquire().unwrap();
    p1.failure();
    check(&breaker, State::Open, stats(4, 0, 4, 0));

    advance(Duration::from_secs(30)).await;
    let p2 = breaker.try_acquire().unwrap();
    drop(stale_drop); // must not free a slot of the new period
    check(&breaker, State::HalfOpen, stats(5, 0, 4, 0));
    stale_failure.failure(); // must not reopen it
    check(&breaker, State::HalfOpen, stats(6, 0, 5, 0));
    let p3 = breaker.try_acquire().unwrap();
    let p4 = breaker.try_acquire().unwrap();
    rejected(breaker.try_acquire()); // p2, p3, p4 hold the three slots
    check(&breaker, State::HalfOpen, stats(7, 0, 5, 1));

    p2.failure();
    check(&breaker, State::Open, stats(8, 0, 6, 1));
    p3.success(); // stale: must not count toward closing the next period
    check(&breaker, State::Open, stats(9, 1, 6, 1));

    advance(Duration::from_secs(30)).await;
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::HalfOpen, stats(10, 2, 6, 1));
    p4.success(); // stale too
    check(&breaker, State::HalfOpen, stats(11, 3, 6, 1));
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::Closed, stats(12, 4, 6, 1));
}

#[tokio::test(start_paused = true)]
async fn a_probe_still_in_flight_when_its_period_closes_is_stale() {
    let breaker = build(CircuitBreaker::builder().success_threshold(2).probes(3));
    trip(&breaker);
    advance(Duration::from_secs(30)).await;
    let late = breaker.try_acquire().unwrap();
    breaker.try_acquire().unwrap().success();
    breaker.try_acquire().unwrap().success();
    check(&breaker, State::Closed, stats(5, 2, 3, 0));

    late.failure(); // stats only: no failure in the new closed period's count
    check(&breaker, State::Closed, stats(6, 2, 4, 0));
    breaker.try_acquire().unwrap().failure();
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Closed, stats(8, 2, 6, 0));
    breaker.try_acquire().unwrap().failure();
    check(&breaker, State::Open, stats(9, 2, 7, 0));
}

// ---------------------------------------------------------------- standalone calls

#[tokio::test(start_paused = true)]
async fn call_when_counts_only_the_errors_it_is_told_to() {
    let breaker = build(CircuitBreaker::builder().name("api").threshold(1));
    let counts = |e: &ApiError| *e == ApiError::Unavailable;

    let r: Result<(), _> = breaker
        .call_when(counts, async { Err(ApiError::BadRequest) })
        .await;
    assert_eq!(r, Err(ApiError::BadRequest));
    check(&breaker, State::Closed, stats(1, 0, 0, 0));

    let r: Result<(), _> = breaker
        .call_when(counts, async { Err(ApiError::Unavailable) })
        .await;
    assert_eq!(r, Err(ApiError::Unavailable));
    check(&breaker, State::Open, stats(2, 0, 1, 0));

    let polled = AtomicU64::new(0);
    let r: Result<(), ApiError> = breaker
        .call(async {
            polled.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .await;
    assert_eq!(
        r,
        Err(ApiError::Open(CircuitOpen::new(
            "api",
            Duration::from_secs(30)
        )))
    );
    assert_eq!(
        polled.load(Ordering::Relaxed),
        0,
        "a rejected future is never polled"
    );
    check(&breaker, State::Open, stats(3, 0, 1, 1));

    let r = breaker.call_blocking(|| Ok::<_, ApiError>(1));
    assert!(matches!(r, Err(ApiError::Open(_))));
    check(&breaker, State::Open, stats(4, 0, 1, 2));
}

#[test]
fn call_blocking_when_passes_the_error_through_unchanged() {
    let breaker = build(CircuitBreaker::builder().threshold(1));
    let r =
        breaker.call_blocking_when(|_: &ApiError| false, || Err::<(), _>(ApiError::Unavailable));
    assert_eq!(r, Err(ApiError::Unavailable));
    check(&breaker, State::Closed, stats(1, 0, 0, 0));
    let r = breaker.call_blocking(|| Err::<(), _>(ApiError::Unavailable));
    assert_eq!(r, Err(ApiError::Unavailable));
    check(&breaker, State::Open, stats(2, 0, 1, 0));
}

// ---------------------------------------------------------------- tracing

#[tokio::test(start_paused = true)]
async fn transitions_are_info_events_and_rejections_debug_events() {
    let breaker = build(
        CircuitBreaker::builder()
            .name("traced")
            .threshold(1)
            .success_threshold(1),
    );

    let ((), events) = capture_async(async {
        breaker.try_acquire().unwrap().failure();
        rejected(breaker.try_acquire());
        advance(Duration::from_secs(30)).await;
        let probe = breaker.try_acquire().unwrap();
        rejected(breaker.try_acquire());
        probe.success();
    })
    .await;

    let events: Vec<_> = events
        .iter()
        .filter(|e| e.target == "resilience")
        .map(Event::render)
        .collect();
    let transition = |from: &str, to: &str, reason: &str| {
        format!(
            "INFO resilience: circuit breaker state changed from={from} name=traced reason={reason} to={to}"
        )
    };
    let rejection = |state: &str, retry_in: &str| {
        format!(
            "DEBUG resilience: circuit breaker rejected a call name=traced retry_in={retry_in} state={state}"
        )
    };
    assert_eq!(
        events,
        [
            transition("closed", "open", "consecutive_failures"),
            rejection("open", "30s"),
            transition("open", "half-open", "recovery_elapsed"),
            rejection("half-open", "0ns"),
            transition("half-open", "closed", "recovered"),
        ]
    );
}

// ---------------------------------------------------------------- concurrency

/// Several threads hammer one breaker that keeps cycling through all three states
/// (threshold 4, recovery zero, so rejections come from the probe limit); every
/// admitted call reports one of the four outcomes, some after yielding to other tasks
/// while holding the permit. The breaker's counters must add up to what the callers
/// saw, and nothing may leak: once everyone is done, a call is admitted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_callers_stats_add_up_and_nothing_leaks() {
    const TASKS: u64 = 16;
    const CALLS: u64 = 20_000;
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(build(
        CircuitBreaker::builder()
            .name("hammered")
            .threshold(4)
            .recovery(Duration::ZERO)
            .success_threshold(3)
            .probes(2),
    )));

    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            tokio::spawn(async move {
                let mut seen = [0u64; 5]; // successes, failures, rejected, ignored, dropped
                for i in 0..CALLS {
                    let Ok(permit) = breaker.try_acquire() else {
                        seen[2] += 1;
                        continue;
                    };
                    if i % 8 == 0 {
                        // Hold the permit while other tasks run.
                        tokio::task::yield_now().await;
                    }
                    // Alternating outages and healthy spells of 64 calls per task.
                    let outage = (i + task * 17) / 64 % 2 == 0;
                    match ((i * 13) % 10, outage) {
                        (0..=7, true) | (0..=2, false) => {
                            permit.failure();
                            seen[1] += 1;
                        }
                        (3..=7, false) => {
                            permit.success();
                            seen[0] += 1;
                        }
                        (8, _) => {
                            permit.ignore();
                            seen[3] += 1;
                        }
                        _ => {
                            drop(permit);
                            seen[4] += 1;
                        }
                    }
                }
                seen
            })
        })
        .collect();

    let mut total = [0u64; 5];
    for task in tasks {
        for (sum, n) in total.iter_mut().zip(task.await.unwrap()) {
            *sum += n;
        }
    }
    let got = breaker.stats();
    assert_eq!(got, stats(TASKS * CALLS, total[0], total[1], total[2]));
    assert_eq!(got.ignored(), total[3] + total[4]);
    assert!(
        total.iter().all(|&n| n > 0),
        "every outcome happened: {total:?}"
    );

    // No slot leaked: closed, open with recovery zero, or half-open with no probe in
    // flight all admit the next call.
    let permit = breaker.try_acquire().expect("no leaked probe slots");
    permit.ignore();
}

/// At most `probes` callers are admitted while half-open, however many race for it.
#[test]
fn racing_callers_never_exceed_the_probe_limit() {
    const THREADS: usize = 12;
    const ROUNDS: u64 = 200;
    let breaker = build(
        CircuitBreaker::builder()
            .threshold(1)
            .recovery(Duration::ZERO)
            .success_threshold(3)
            .probes(3),
    );

    for round in 0..ROUNDS {
        // Closed in round 0, half-open with no probe in flight after: reopen it. With
        // recovery zero, the racers' first call moves it to half-open.
        let permit = breaker.try_acquire().expect("a free slot");
        permit.failure();
        assert_eq!(breaker.state(), State::Open);

        let start = Barrier::new(THREADS);
        let hold = Barrier::new(THREADS);
        let admitted = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    start.wait();
                    let permit = breaker.try_acquire().ok();
                    if permit.is_some() {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                    hold.wait(); // hold every permit until everyone has tried
                    drop(permit);
                });
            }
        });
        assert_eq!(admitted.load(Ordering::Relaxed), 3, "round {round}");
        assert_eq!(breaker.state(), State::HalfOpen);
    }
    let got = breaker.stats();
    assert_eq!(got.rejected, ROUNDS * (THREADS as u64 - 3));
    assert_eq!(got.failures, ROUNDS);
}

/// Many threads failing at once open the breaker exactly once.
#[test]
fn concurrent_failures_open_it_exactly_once() {
    for _ in 0..50 {
        let capture = Capture::new();
        let breaker = Arc::new(build(CircuitBreaker::builder().name("racy").threshold(5)));
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (breaker, barrier, capture) =
                    (breaker.clone(), barrier.clone(), capture.clone());
                std::thread::spawn(move || {
                    let _entered = capture.enter();
                    let permit = breaker
                        .try_acquire()
                        .expect("closed while everyone acquires");
                    barrier.wait();
                    permit.failure();
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        // All 8 were admitted while closed; the fifth failure opens it, the others are
        // counted before it or are stale after it. Every failure is in the stats.
        check(&breaker, State::Open, stats(8, 0, 8, 0));
        let events = capture.events();
        let opened = events
            .iter()
            .filter(|e| e.field("to") == Some("open"))
            .count();
        assert_eq!(opened, 1, "{events:?}");
    }
}
