//! Property tests of retrying: for random policies and random scripts of outcomes and
//! call durations, on tokio's paused clock (so every instant is exact), both ways of
//! running a retry, [`Retry::run`] and the [`pipeline`] driver the attributes expand into:
//!
//! - the body is never called more than `attempts` times, and every call but the last
//!   one failed with a retryable error;
//! - the answer is the last call's own outcome, unchanged;
//! - no retry starts later than `max_elapsed` after the first attempt started (so the
//!   whole call ends by `max_elapsed` plus the last attempt's own duration);
//! - every wait is at most the backoff's `max`, and exactly the server's delay when one
//!   was given; a server delay longer than `max` stops at once;
//! - stopping early with attempts left and a retryable error happens only for
//!   `max_elapsed` or a server delay above `max`;
//! - in the pipeline, a per-attempt timeout below the retry bounds every attempt, and a
//!   timeout above it bounds the whole call.

use std::cell::RefCell;
use std::time::Duration;

use proptest::prelude::*;
use resilience_core::TimedOut;
use resilience_core::backoff::{Backoff, BackoffKind, Jitter};
use resilience_core::pipeline::{Flow, pipeline};
use resilience_core::retry::{Retry, RetryPolicy};
use tokio::time::Instant;

#[derive(Clone, Debug, PartialEq)]
enum ApiError {
    Fail {
        call: usize,
        retryable: bool,
        server_delay: Option<Duration>,
    },
    Timeout(TimedOut),
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e)
    }
}

fn retryable(e: &ApiError) -> bool {
    match e {
        ApiError::Fail { retryable, .. } => *retryable,
        ApiError::Timeout(_) => true,
    }
}

fn server_delay(e: &ApiError) -> Option<Duration> {
    match e {
        ApiError::Fail { server_delay, .. } => *server_delay,
        ApiError::Timeout(_) => None,
    }
}

/// One scripted call: how long it works, then what it returns.
#[derive(Clone, Debug)]
struct Call {
    work: Duration,
    ok: bool,
    retryable: bool,
    server_delay: Option<Duration>,
}

fn ms(range: std::ops::Range<u64>) -> impl Strategy<Value = Duration> {
    range.prop_map(Duration::from_millis)
}

fn call() -> impl Strategy<Value = Call> {
    (
        prop_oneof![Just(Duration::ZERO), ms(0..3_000)],
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.85),
        prop::option::weighted(0.2, ms(0..15_000)),
    )
        .prop_map(|(work, ok, retryable, server_delay)| Call {
            work,
            ok,
            retryable,
            server_delay,
        })
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        1u32..=8,
        prop::sample::select(
            &[
                BackoffKind::Exponential,
                BackoffKind::Fixed,
                BackoffKind::Linear,
            ][..],
        ),
        prop::sample::select(
            &[
                Jitter::None,
                Jitter::Full,
                Jitter::Equal,
                Jitter::Decorrelated,
            ][..],
        ),
        ms(0..2_000),
        ms(0..10_000),
        1.0f64..4.0,
        prop::option::of(ms(0..30_000)),
        prop::option::of(any::<u64>()),
    )
        .prop_map(
            |(attempts, kind, jitter, base, extra, factor, max_elapsed, seed)| {
                let backoff = match kind {
                    BackoffKind::Exponential => Backoff::exponential(),
                    BackoffKind::Fixed => Backoff::fixed(),
                    BackoffKind::Linear => Backoff::linear(),
                }
                .base(base)
                .max(base + extra)
                .factor(factor)
                .jitter(jitter)
                .build()
                .unwrap();
                let mut builder = RetryPolicy::builder().attempts(attempts).backoff(backoff);
                if let Some(limit) = max_elapsed {
                    builder = builder.max_elapsed(limit);
                }
                if let Some(seed) = seed {
                    builder = builder.seed(seed);
                }
                builder.build().unwrap()
            },
        )
}

/// When each call started and ended, relative to the first start.
#[derive(Default)]
struct Trace {
    spans: Vec<(Duration, Option<Duration>)>,
}

/// Runs scripted call number `index` (the script repeats if it is short), recording
/// its span.
async fn scripted(
    script: &[Call],
    trace: &RefCell<Trace>,
    origin: Instant,
) -> Result<usize, ApiError> {
    let index = trace.borrow().spans.len();
    trace.borrow_mut().spans.push((origin.elapsed(), None));
    let call = &script[index % script.len()];
    tokio::time::sleep(call.work).await;
    trace.borrow_mut().spans[index].1 = Some(origin.elapsed());
    if call.ok {
        Ok(index)
    } else {
        Err(ApiError::Fail {
            call: index,
            retryable: call.retryable,
            server_delay: call.server_delay,
        })
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// The checks shared by both ways of running, for a run without timeouts.
fn check_run(
    policy: &RetryPolicy,
    script: &[Call],
    trace: &Trace,
    result: &Result<usize, ApiError>,
    total: Duration,
) -> Result<(), TestCaseError> {
    let calls = trace.spans.len();
    let max = policy.backoff().max();
    prop_assert!(calls >= 1);
    prop_assert!(
        calls <= policy.attempts() as usize,
        "{calls} calls > {} attempts",
        policy.attempts()
    );
    let call = |i: usize| &script[i % script.len()];
    // Every call but the last failed with a retryable error whose server delay, if
    // any, was within `max`; the wait before the next call was the right one.
    for i in 0..calls - 1 {
        let c = call(i);
        prop_assert!(!c.ok && c.retryable, "call {i} should have ended it: {c:?}");
        let ended = trace.spans[i].1.expect("finished");
        let next_started = trace.spans[i + 1].0;
        let waited = next_started - ended;
        prop_assert!(waited <= max, "waited {waited:?} > max {max:?}");
        if let Some(asked) = c.server_delay {
            prop_assert!(asked <= max);
            prop_assert_eq!(waited, asked, "the server's delay replaces the backoff's");
        }
        if let Some(limit) = policy.max_elapsed() {
            prop_assert!(
                next_started <= limit,
                "retry {} started at {next_started:?}, past max_elapsed {limit:?}",
                i + 1
            );
        }
    }
    // The answer is the last call's, unchanged.
    let last = calls - 1;
    let c = call(last);
    if c.ok {
        prop_assert_eq!(result, &Ok(last));
    } else {
        let expected = ApiError::Fail {
            call: last,
            retryable: c.retryable,
            server_delay: c.server_delay,
        };
        prop_assert_eq!(result, &Err(expected));
        // Stopped with a retryable error and attempts left: only for a reason.
        if c.retryable && calls < policy.attempts() as usize {
            let too_long = c.server_delay.is_some_and(|d| d > max);
            prop_assert!(
                too_long || policy.max_elapsed().is_some(),
                "stopped after {calls} of {} attempts for no reason",
                policy.attempts()
            );
        }
    }
    prop_assert_eq!(total, trace.spans[last].1.expect("finished"));
    if let Some(limit) = policy.max_elapsed() {
        prop_assert!(total <= limit + c.work);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    /// `Retry::run`, the macro-free runner.
    #[test]
    fn retry_run_respects_attempts_and_max_elapsed(
        policy in policy(),
        script in prop::collection::vec(call(), 1..10),
    ) {
        let trace = RefCell::new(Trace::default());
        let (result, total) = paused_runtime().block_on(async {
            let origin = Instant::now();
            let result = Retry::new(&policy)
                .when(retryable)
                .retry_after(server_delay)
                .run(|| scripted(&script, &trace, origin))
                .await;
            (result, origin.elapsed())
        });
        check_run(&policy, &script, &trace.borrow(), &result, total)?;
    }

    /// The pipeline driver with a retry layer, driven exactly as the attribute expansion
    /// drives it.
    #[test]
    fn the_pipeline_retry_respects_attempts_and_max_elapsed(
        policy in policy(),
        script in prop::collection::vec(call(), 1..10),
    ) {
        let trace = RefCell::new(Trace::default());
        let (result, total) = paused_runtime().block_on(async {
            let origin = Instant::now();
            let mut p = pipeline::<Result<usize, ApiError>>()
                .retry(&policy, retryable, server_delay)
                .build();
            let mut flow = p.enter();
            let result = loop {
                match flow {
                    Flow::Call(_) => {}
                    Flow::Done(result) => break result,
                    Flow::Wait => {
                        flow = p.wait().await;
                        continue;
                    }
                }
                let outcome = p.guard(scripted(&script, &trace, origin)).await;
                flow = p.leave(outcome);
            };
            (result, origin.elapsed())
        });
        check_run(&policy, &script, &trace.borrow(), &result, total)?;
    }

    /// `#[timeout]` below `#[retry]` bounds each attempt; above it, the whole call.
    #[test]
    fn pipeline_timeouts_bound_each_attempt_or_the_whole_call(
        policy in policy(),
        script in prop::collection::vec(call(), 1..10),
        after in ms(1..4_000),
        outer in any::<bool>(),
    ) {
        let trace = RefCell::new(Trace::default());
        let (result, total) = paused_runtime().block_on(async {
            let origin = Instant::now();
            // The layer order is part of a pipeline's type: one driver per order.
            macro_rules! drive {
                ($pipeline:expr) => {{
                    let mut p = $pipeline.build();
                    let mut flow = p.enter();
                    loop {
                        match flow {
                            Flow::Call(_) => {}
                            Flow::Done(result) => break result,
                            Flow::Wait => {
                                flow = p.wait().await;
                                continue;
                            }
                        }
                        let outcome = p.guard(scripted(&script, &trace, origin)).await;
                        flow = p.leave(outcome);
                    }
                }};
            }
            let p = pipeline::<Result<usize, ApiError>>();
            let result = if outer {
                drive!(p.timeout(after).retry(&policy, retryable, server_delay))
            } else {
                drive!(p.retry(&policy, retryable, server_delay).timeout(after))
            };
            (result, origin.elapsed())
        });
        let trace = trace.borrow();
        let calls = trace.spans.len();
        prop_assert!(calls >= 1 && calls <= policy.attempts() as usize);
        if outer {
            prop_assert!(total <= after, "{total:?} past the outer timeout {after:?}");
        } else {
            for (i, (start, end)) in trace.spans.iter().enumerate() {
                // A cancelled attempt never records its end.
                let end = end.unwrap_or(*start + after);
                prop_assert!(end - *start <= after, "attempt {i} ran {:?}", end - *start);
            }
        }
        if let Err(ApiError::Timeout(timed_out)) = &result {
            prop_assert_eq!(timed_out.after(), after);
        }
        if let Some(limit) = policy.max_elapsed() {
            // No retry started past max_elapsed.
            for (start, _) in trace.spans.iter().skip(1) {
                prop_assert!(*start <= limit);
            }
        }
    }
}
