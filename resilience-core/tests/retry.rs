//! Behaviour of `resilience_core::retry` on tokio's paused clock: exact instants, call counts,
//! decisions and events.
//!
//! Every test starts with `init()`: see the events section at the end.

mod support;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use resilience_core::ConfigError;
use resilience_core::backoff::{Backoff, Jitter};
use resilience_core::retry::{GiveUp, Retry, RetryDecision, RetryPolicy, RetryState};
use support::events::{capture_async, init};
use tokio::time::{Duration, Instant};

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Exponential 1s, x2, max 10s, no jitter: delays 1, 2, 4, 8, 10, 10, ...
const EXP: Backoff = ConfigError::unwrap_const(Backoff::exponential().jitter(Jitter::None).build());

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::builder()
        .attempts(attempts)
        .backoff(EXP)
        .build()
        .unwrap()
}

/// A non-`Clone` error, so "returned unchanged" means moved out, not rebuilt.
#[derive(Debug, PartialEq, Eq)]
enum ApiError {
    Network(u32),
    RateLimited { call: u32, retry_after: Duration },
    BadRequest(u32),
}

fn retryable(e: &ApiError) -> bool {
    !matches!(e, ApiError::BadRequest(_))
}

fn server_delay(e: &ApiError) -> Option<Duration> {
    match e {
        ApiError::RateLimited { retry_after, .. } => Some(*retry_after),
        _ => None,
    }
}

/// Records the instant (relative to creation) of every call.
struct Calls {
    start: Instant,
    at: RefCell<Vec<Duration>>,
}

impl Calls {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            at: RefCell::new(Vec::new()),
        }
    }

    /// Records a call and returns its 1-based number.
    fn call(&self) -> u32 {
        let mut at = self.at.borrow_mut();
        at.push(self.start.elapsed());
        at.len() as u32
    }

    fn count(&self) -> usize {
        self.at.borrow().len()
    }

    fn secs(&self) -> Vec<u64> {
        self.at
            .borrow()
            .iter()
            .map(|d| {
                assert_eq!(d.subsec_nanos(), 0, "not a whole second: {d:?}");
                d.as_secs()
            })
            .collect()
    }
}

// ===== policy =====

#[test]
fn policy_defaults_and_validation() {
    init();
    let p = RetryPolicy::default();
    assert_eq!(p.attempts(), 3);
    assert_eq!(p.backoff(), Backoff::DEFAULT);
    assert_eq!(p.max_elapsed(), None);
    assert_eq!(p.seed(), None);
    assert_eq!(
        RetryPolicy::builder().attempts(0).build(),
        Err(ConfigError::new("attempts", "must be at least 1"))
    );
    let p = RetryPolicy::builder()
        .attempts(u32::MAX)
        .max_elapsed(secs(9))
        .seed(5)
        .build()
        .unwrap();
    assert_eq!(
        (p.attempts(), p.max_elapsed(), p.seed()),
        (u32::MAX, Some(secs(9)), Some(5))
    );
}

#[test]
fn retry_state_is_small() {
    init();
    let size = size_of::<RetryState<'static>>();
    println!("size_of::<RetryState>() = {size} bytes");
    assert!(size <= 48, "RetryState is {size} bytes");
}

// ===== async run: counts and instants =====

#[tokio::test(start_paused = true)]
async fn four_attempts_fail_three_times_then_succeed_at_seven_seconds() {
    init();
    let calls = Calls::new();
    let result = Retry::new(&policy(4))
        .run(|| async {
            let n = calls.call();
            if n < 4 {
                Err(ApiError::Network(n))
            } else {
                Ok(n)
            }
        })
        .await;
    assert_eq!(result, Ok(4));
    assert_eq!(calls.secs(), [0, 1, 3, 7]);
    assert_eq!(calls.start.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn exhausted_attempts_return_the_last_error_unchanged() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&policy(4))
        .run(|| async { Err(ApiError::Network(calls.call())) })
        .await;
    assert_eq!(result, Err(ApiError::Network(4)));
    assert_eq!(calls.secs(), [0, 1, 3, 7]);
    // No sleep after the last failure.
    assert_eq!(calls.start.elapsed(), secs(7));
}

#[tokio::test(start_paused = true)]
async fn one_attempt_never_retries() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&policy(1))
        .run(|| async { Err(ApiError::Network(calls.call())) })
        .await;
    assert_eq!(result, Err(ApiError::Network(1)));
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn non_retryable_error_returns_at_once_with_one_call() {
    init();
    let calls = Calls::new();
    let asked = Cell::new(0);
    let result: Result<(), _> = Retry::new(&policy(4))
        .when(retryable)
        .retry_after(|e: &ApiError| {
            asked.set(asked.get() + 1);
            server_delay(e)
        })
        .run(|| async { Err(ApiError::BadRequest(calls.call())) })
        .await;
    assert_eq!(result, Err(ApiError::BadRequest(1)));
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.start.elapsed(), Duration::ZERO);
    assert_eq!(
        asked.get(),
        0,
        "retry_after is not consulted for a non-retryable error"
    );
}

#[tokio::test(start_paused = true)]
async fn classifier_stops_on_the_first_non_retryable_error() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&policy(5))
        .when(retryable)
        .run(|| async {
            let n = calls.call();
            if n < 3 {
                Err(ApiError::Network(n))
            } else {
                Err(ApiError::BadRequest(n))
            }
        })
        .await;
    assert_eq!(result, Err(ApiError::BadRequest(3)));
    assert_eq!(calls.secs(), [0, 1, 3]);
}

// ===== retry_after =====

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_that_one_delay_and_the_schedule_still_advances() {
    init();
    let calls = Calls::new();
    let result = Retry::new(&policy(4))
        .when(retryable)
        .retry_after(server_delay)
        .run(|| async {
            match calls.call() {
                1 => Err(ApiError::RateLimited {
                    call: 1,
                    retry_after: secs(5),
                }),
                n @ (2 | 3) => Err(ApiError::Network(n)),
                n => Ok(n),
            }
        })
        .await;
    assert_eq!(result, Ok(4));
    // 5s asked instead of 1s; then retry 2 and 3 wait 2s and 4s as if nothing happened.
    assert_eq!(calls.secs(), [0, 5, 7, 11]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_longer_than_max_gives_up_at_once() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&policy(4))
        .retry_after(server_delay)
        .run(|| async {
            Err(ApiError::RateLimited {
                call: calls.call(),
                retry_after: secs(10) + Duration::from_nanos(1),
            })
        })
        .await;
    assert_eq!(
        result,
        Err(ApiError::RateLimited {
            call: 1,
            retry_after: secs(10) + Duration::from_nanos(1)
        })
    );
    assert_eq!(calls.count(), 1);
    assert_eq!(calls.start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn retry_after_equal_to_max_is_taken() {
    init();
    let calls = Calls::new();
    let result = Retry::new(&policy(2))
        .retry_after(server_delay)
        .run(|| async {
            match calls.call() {
                1 => Err(ApiError::RateLimited {
                    call: 1,
                    retry_after: secs(10),
                }),
                n => Ok(n),
            }
        })
        .await;
    assert_eq!(result, Ok(2));
    assert_eq!(calls.secs(), [0, 10]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_zero_retries_immediately() {
    init();
    let calls = Calls::new();
    let result = Retry::new(&policy(3))
        .retry_after(server_delay)
        .run(|| async {
            match calls.call() {
                n @ (1 | 2) => Err(ApiError::RateLimited {
                    call: n,
                    retry_after: Duration::ZERO,
                }),
                n => Ok(n),
            }
        })
        .await;
    assert_eq!(result, Ok(3));
    assert_eq!(calls.secs(), [0, 0, 0]);
}

// ===== max_elapsed =====

fn bounded(attempts: u32, max_elapsed: Duration) -> RetryPolicy {
    RetryPolicy::builder()
        .attempts(attempts)
        .backoff(EXP)
        .max_elapsed(max_elapsed)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_refuses_a_delay_that_would_end_too_late() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&bounded(10, secs(5)))
        .run(|| async { Err(ApiError::Network(calls.call())) })
        .await;
    // Calls at 0, 1, 3; the next delay (4s) would end at 7s > 5s: stop now, at 3s.
    assert_eq!(result, Err(ApiError::Network(3)));
    assert_eq!(calls.secs(), [0, 1, 3]);
    assert_eq!(calls.start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_takes_a_delay_ending_exactly_at_the_bound() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&bounded(10, secs(7)))
        .run(|| async { Err(ApiError::Network(calls.call())) })
        .await;
    assert_eq!(result, Err(ApiError::Network(4)));
    assert_eq!(calls.secs(), [0, 1, 3, 7]);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_time_spent_inside_attempts() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&bounded(10, secs(6)))
        .run(|| async {
            let n = calls.call();
            tokio::time::sleep(secs(2)).await; // a slow failing call
            Err(ApiError::Network(n))
        })
        .await;
    // Call 1 runs 0..2, waits 1s (ends at 3 <= 6); call 2 runs 3..5, then 2s would end at 7.
    assert_eq!(result, Err(ApiError::Network(2)));
    assert_eq!(calls.secs(), [0, 3]);
    assert_eq!(calls.start.elapsed(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_also_bounds_server_delays() {
    init();
    let calls = Calls::new();
    let result: Result<(), _> = Retry::new(&bounded(10, secs(8)))
        .retry_after(server_delay)
        .run(|| async {
            Err(ApiError::RateLimited {
                call: calls.call(),
                retry_after: secs(5),
            })
        })
        .await;
    assert_eq!(
        result,
        Err(ApiError::RateLimited {
            call: 2,
            retry_after: secs(5)
        })
    );
    assert_eq!(calls.secs(), [0, 5]);
}

// ===== jitter in a run =====

/// Gaps between consecutive calls.
fn gaps(calls: &Calls) -> Vec<Duration> {
    calls.at.borrow().windows(2).map(|w| w[1] - w[0]).collect()
}

/// tokio's timer wheel fires on whole milliseconds: a sleep of `d` ends within 1ms after `d`.
fn assert_slept(got: &[Duration], want: &[Duration]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            *g >= *w && *g < *w + Duration::from_millis(1),
            "{got:?} vs {want:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn seeded_runs_follow_the_seeded_schedule_for_every_jitter() {
    init();
    for jitter in [Jitter::Full, Jitter::Equal, Jitter::Decorrelated] {
        let backoff = Backoff::exponential().jitter(jitter).build().unwrap();
        let p = RetryPolicy::builder()
            .attempts(6)
            .backoff(backoff)
            .seed(7)
            .build()
            .unwrap();
        let want: Vec<_> = backoff.iter_seeded(7).take(5).collect();
        for _ in 0..2 {
            let calls = Calls::new();
            let result: Result<(), _> = Retry::new(&p)
                .run(|| async { Err(ApiError::Network(calls.call())) })
                .await;
            assert_eq!(result, Err(ApiError::Network(6)));
            assert_slept(&gaps(&calls), &want);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn decorrelated_schedule_advances_past_a_server_delay() {
    init();
    let backoff = Backoff::exponential()
        .jitter(Jitter::Decorrelated)
        .build()
        .unwrap();
    let p = RetryPolicy::builder()
        .attempts(5)
        .backoff(backoff)
        .seed(11)
        .build()
        .unwrap();
    let calls = Calls::new();
    let _: Result<(), _> = Retry::new(&p)
        .retry_after(server_delay)
        .run(|| async {
            match calls.call() {
                2 => Err(ApiError::RateLimited {
                    call: 2,
                    retry_after: secs(3),
                }),
                n => Err(ApiError::Network(n)),
            }
        })
        .await;
    let mut want: Vec<_> = backoff.iter_seeded(11).take(4).collect();
    want[1] = secs(3);
    assert_slept(&gaps(&calls), &want);
}

#[tokio::test(start_paused = true)]
async fn unseeded_jitter_stays_within_the_nominal_delays() {
    init();
    let p = RetryPolicy::builder().attempts(6).build().unwrap(); // full jitter
    let calls = Calls::new();
    let _: Result<(), _> = Retry::new(&p)
        .run(|| async { Err(ApiError::Network(calls.call())) })
        .await;
    assert_eq!(calls.count(), 6);
    for (n, gap) in (1..).zip(gaps(&calls)) {
        assert!(
            gap <= p.backoff().delay(n) + Duration::from_millis(1),
            "retry {n}: {gap:?}"
        );
    }
}

// ===== the success path =====

fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test(start_paused = true)]
async fn first_try_success_completes_on_the_first_poll() {
    init();
    let p = RetryPolicy::builder().max_elapsed(secs(1)).build().unwrap();
    let start = Instant::now();
    let polled = poll_once(Retry::new(&p).run(|| async { Ok::<_, ApiError>(1) }));
    assert_eq!(polled, Poll::Ready(Ok(1)));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn zero_delays_build_no_timer() {
    init();
    let zero = Backoff::fixed().base(Duration::ZERO).build().unwrap();
    let p = RetryPolicy::builder()
        .attempts(3)
        .backoff(zero)
        .build()
        .unwrap();
    let calls = Cell::new(0);
    let polled = poll_once(Retry::new(&p).run(|| async {
        calls.set(calls.get() + 1);
        Err::<(), _>(ApiError::Network(calls.get()))
    }));
    assert_eq!(polled, Poll::Ready(Err(ApiError::Network(3))));
}

#[tokio::test(start_paused = true)]
async fn a_pending_sleep_between_attempts_is_a_real_timer() {
    init();
    let p = policy(2);
    let calls = Cell::new(0);
    let polled = poll_once(Retry::new(&p).run(|| async {
        calls.set(calls.get() + 1);
        Err::<(), _>(ApiError::Network(calls.get()))
    }));
    assert_eq!(polled, Poll::Pending);
    assert_eq!(calls.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn run_future_is_send_and_spawnable() {
    init();
    static POLICY: RetryPolicy =
        ConfigError::unwrap_const(RetryPolicy::builder().attempts(3).backoff(EXP).build());
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = calls.clone();
    let start = Instant::now();
    let handle = tokio::spawn(Retry::new(&POLICY).when(retryable).run(move || {
        let counter = counter.clone();
        async move {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n < 3 {
                Err(ApiError::Network(n))
            } else {
                Ok(n)
            }
        }
    }));
    assert_eq!(handle.await.unwrap(), Ok(3));
    assert_eq!(start.elapsed(), secs(3));
}

// ===== RetryState, step by step =====

#[tokio::test(start_paused = true)]
async fn retry_state_steps_through_decisions() {
    init();
    let p = bounded(5, secs(10));
    let mut state = RetryState::new(&p);
    assert_eq!(state.attempt(), 0);

    state.start_attempt();
    assert_eq!(state.attempt(), 1);
    assert_eq!(
        state.on_error(&"e1", true, None),
        RetryDecision::Retry { delay: secs(1) }
    );
    tokio::time::advance(secs(1)).await;

    state.start_attempt();
    assert_eq!(
        state.on_error(&"e2", true, Some(secs(4))),
        RetryDecision::Retry { delay: secs(4) }
    );
    tokio::time::advance(secs(4)).await;

    state.start_attempt();
    assert_eq!(state.attempt(), 3);
    // Retry 3 is 4s as if retry 2 had waited its own 2s; 5s elapsed + 4s = 9s <= 10s.
    assert_eq!(
        state.on_error(&"e3", true, None),
        RetryDecision::Retry { delay: secs(4) }
    );
    tokio::time::advance(secs(4)).await;

    state.start_attempt();
    // 9s elapsed + 8s > 10s.
    assert_eq!(
        state.on_error(&"e4", true, None),
        RetryDecision::GiveUp(GiveUp::MaxElapsed)
    );
    // Same attempt but a 1s server delay fits exactly.
    assert_eq!(
        state.on_error(&"e4", true, Some(secs(1))),
        RetryDecision::Retry { delay: secs(1) }
    );
    tokio::time::advance(secs(1)).await;

    state.start_attempt();
    assert_eq!(state.attempt(), 5);
    assert_eq!(
        state.on_error(&"e5", true, None),
        RetryDecision::GiveUp(GiveUp::Exhausted)
    );
}

#[test]
fn retry_state_give_up_order() {
    init();
    let p = policy(2);
    let mut state = RetryState::new(&p);
    state.start_attempt();
    // Not retryable wins over everything, even a too-long server delay.
    assert_eq!(
        state.on_error(&"e", false, Some(secs(60))),
        RetryDecision::GiveUp(GiveUp::NotRetryable)
    );
    assert_eq!(
        state.on_error(&"e", true, Some(secs(60))),
        RetryDecision::GiveUp(GiveUp::ServerDelayTooLong)
    );
    state.start_attempt();
    // On the last attempt: exhausted, whatever the server says.
    assert_eq!(
        state.on_error(&"e", true, Some(secs(60))),
        RetryDecision::GiveUp(GiveUp::Exhausted)
    );
}

#[test]
fn retry_state_without_start_attempt_treats_the_call_as_attempt_one() {
    init();
    let p = policy(3);
    let mut state = RetryState::new(&p);
    assert_eq!(
        state.on_error(&"e", true, None),
        RetryDecision::Retry { delay: secs(1) }
    );
    assert_eq!(state.attempt(), 0);
}

#[test]
fn huge_attempt_counts_saturate() {
    init();
    let p = RetryPolicy::builder()
        .attempts(u32::MAX)
        .backoff(
            Backoff::exponential()
                .factor(1e300)
                .jitter(Jitter::Full)
                .build()
                .unwrap(),
        )
        .seed(1)
        .build()
        .unwrap();
    let mut state = RetryState::new(&p);
    for _ in 0..100 {
        state.start_attempt();
        match state.on_error(&"e", true, None) {
            RetryDecision::Retry { delay } => assert!(delay <= secs(10)),
            other => panic!("{other:?}"),
        }
    }
}

// ===== blocking =====

#[test]
fn blocking_retries_and_returns_the_last_error_unchanged() {
    init();
    let tiny = Backoff::exponential()
        .base(Duration::from_micros(100))
        .max(Duration::from_millis(1))
        .build()
        .unwrap();
    let p = RetryPolicy::builder()
        .attempts(4)
        .backoff(tiny)
        .build()
        .unwrap();
    let mut calls = 0;
    let result: Result<(), _> = Retry::new(&p).run_blocking(|| {
        calls += 1;
        Err(ApiError::Network(calls))
    });
    assert_eq!(result, Err(ApiError::Network(4)));
    assert_eq!(calls, 4);

    let mut calls = 0;
    let result = Retry::new(&p).run_blocking(|| {
        calls += 1;
        if calls < 3 {
            Err(ApiError::Network(calls))
        } else {
            Ok(calls)
        }
    });
    assert_eq!(result, Ok(3));
}

#[test]
fn blocking_honours_when_and_retry_after() {
    init();
    let zero = Backoff::fixed()
        .base(Duration::ZERO)
        .max(Duration::from_millis(1))
        .build()
        .unwrap();
    let p = RetryPolicy::builder()
        .attempts(5)
        .backoff(zero)
        .build()
        .unwrap();

    let mut calls = 0;
    let result: Result<(), _> = Retry::new(&p).when(retryable).run_blocking(|| {
        calls += 1;
        Err(ApiError::BadRequest(calls))
    });
    assert_eq!((result, calls), (Err(ApiError::BadRequest(1)), 1));

    let mut calls = 0;
    let result: Result<(), _> = Retry::new(&p).retry_after(server_delay).run_blocking(|| {
        calls += 1;
        Err(ApiError::RateLimited {
            call: calls,
            retry_after: secs(1),
        })
    });
    assert_eq!(
        (result, calls),
        (
            Err(ApiError::RateLimited {
                call: 1,
                retry_after: secs(1)
            }),
            1
        )
    );

    let mut calls = 0;
    let result = Retry::new(&p).retry_after(server_delay).run_blocking(|| {
        calls += 1;
        match calls {
            1 => Err(ApiError::RateLimited {
                call: 1,
                retry_after: Duration::from_millis(1),
            }),
            n => Ok(n),
        }
    });
    assert_eq!(result, Ok(2));
}

#[test]
fn blocking_max_elapsed_uses_the_system_clock_outside_a_runtime() {
    init();
    let fixed = Backoff::fixed()
        .base(Duration::from_millis(1))
        .jitter(Jitter::None)
        .build()
        .unwrap();
    let p = RetryPolicy::builder()
        .attempts(1000)
        .backoff(fixed)
        .max_elapsed(Duration::ZERO)
        .build()
        .unwrap();
    let mut calls = 0;
    let result: Result<(), _> = Retry::new(&p).run_blocking(|| {
        calls += 1;
        Err(ApiError::Network(calls))
    });
    // Any non-zero delay ends after a zero bound.
    assert_eq!((result, calls), (Err(ApiError::Network(1)), 1));
}

// ===== events =====
//
// `init()` (first in every test) installs `support::events`' global recorder before any
// event fires; `capture_async` records the events of the retry loop, which the
// current-thread test runtime polls on the test's thread.

#[tokio::test(start_paused = true)]
async fn decisions_emit_events_with_target_resilience() {
    init();
    let calls = Calls::new();
    let ((), events) = capture_async(async {
        let _: Result<(), _> = Retry::new(&policy(2))
            .run(|| async { Err(ApiError::Network(calls.call())) })
            .await;
        let _: Result<(), _> = Retry::new(&policy(2))
            .when(retryable)
            .run(|| async { Err(ApiError::BadRequest(9)) })
            .await;
    })
    .await;

    assert_eq!(events.len(), 3, "{events:#?}");
    assert!(events.iter().all(|e| e.target == "resilience"));

    let e = &events[0];
    let f = &e.fields;
    assert_eq!(e.level, tracing::Level::INFO);
    assert_eq!(e.message, "retry scheduled");
    assert_eq!(f["attempt"], "1");
    assert_eq!(f["delay"], "1s");
    assert_eq!(f["delay_ms"], "1000");
    assert_eq!(f["server_delay"], "false");
    assert_eq!(f["error"], "Network(1)");

    let e = &events[1];
    let f = &e.fields;
    assert_eq!(e.level, tracing::Level::WARN);
    assert_eq!(e.message, "giving up");
    assert_eq!(f["attempt"], "2");
    assert_eq!(f["reason"], "attempts exhausted");
    assert_eq!(f["error"], "Network(2)");

    let e = &events[2];
    let f = &e.fields;
    assert_eq!(e.level, tracing::Level::DEBUG);
    assert_eq!(e.message, "giving up");
    assert_eq!(f["reason"], "error is not retryable");
    assert_eq!(f["error"], "BadRequest(9)");
}
