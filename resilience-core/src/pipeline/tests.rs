//! The driver's cross-layer rules, exact on tokio's paused clock, through both
//! protocols: the one the macros expand into today (`start`/`next`, awaited `Step`s) and
//! the synchronous one (`enter`/`leave`/`wait`, `Flow`).

use core::cell::Cell;
use core::future::Future;
use core::time::Duration;

use tokio::time::{Instant, sleep};

use super::*;
use crate::backoff::{Backoff, Jitter};
use crate::{CircuitBreaker, ConfigError, Stats};

#[derive(Debug, PartialEq)]
enum E {
    Busy,
    Open,
    Timeout(Instant),
}

impl From<CircuitOpen> for E {
    fn from(_: CircuitOpen) -> Self {
        E::Open
    }
}

impl From<TimedOut> for E {
    fn from(e: TimedOut) -> Self {
        E::Timeout(e.deadline())
    }
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Fixed 2s between attempts, no jitter, up to 10 attempts.
static FIXED_2S: RetryPolicy = ConfigError::unwrap_const(
    RetryPolicy::builder()
        .attempts(10)
        .backoff(ConfigError::unwrap_const(
            Backoff::fixed().base(secs(2)).jitter(Jitter::None).build(),
        ))
        .build(),
);

/// No delay between attempts.
static NO_DELAY: RetryPolicy = ConfigError::unwrap_const(
    RetryPolicy::builder()
        .attempts(3)
        .backoff(ConfigError::unwrap_const(
            Backoff::fixed()
                .base(Duration::ZERO)
                .jitter(Jitter::None)
                .build(),
        ))
        .build(),
);

/// The loop the macros expand into today.
macro_rules! steps {
    ($p:ident, |$n:ident| $call:expr) => {{
        let mut step = $p.start().await;
        loop {
            let outcome = match step {
                Step::Call($n) => $p.guard($call).await,
                Step::Done(result) => break result,
            };
            step = $p.next(outcome).await;
        }
    }};
}

/// The same with the synchronous protocol.
macro_rules! flow {
    ($p:ident, |$n:ident| $call:expr) => {{
        let mut flow = $p.enter();
        loop {
            let $n = match { flow } {
                Flow::Call(n) => n,
                Flow::Done(result) => break result,
                Flow::Wait => {
                    flow = $p.wait().await;
                    continue;
                }
            };
            let outcome = $p.guard($call).await;
            flow = $p.leave(outcome);
        }
    }};
}

/// Drives `$p` through the synchronous protocol when `$use_flow`, else through
/// `start`/`next`: every scenario runs through both.
macro_rules! drive {
    ($use_flow:expr, $p:ident, |$n:ident| $call:expr) => {
        if $use_flow {
            flow!($p, |$n| $call)
        } else {
            steps!($p, |$n| $call)
        }
    };
}

/// Runs `scenario` twice on a fresh paused runtime: with `steps!` and with `flow!`.
fn both<F: Future<Output = ()>>(scenario: impl Fn(bool) -> F) {
    for use_flow in [false, true] {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(scenario(use_flow));
    }
}

#[test]
fn a_deadline_above_a_retry_cuts_its_sleep_short() {
    both(|use_flow| async move {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut p = pipeline::<Result<(), E>>()
            .timeout(secs(5))
            .retry(&FIXED_2S, |_| true, None);
        let body = || async {
            calls.set(calls.get() + 1);
            Err(E::Busy)
        };
        let result = drive!(use_flow, p, |_n| body());
        // Attempts at 0s, 2s, 4s; the sleep after the third would end at 6s.
        assert_eq!(result, Err(E::Timeout(start + secs(5))));
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), secs(5));
    });
}

#[test]
fn a_delay_that_ends_at_the_deadline_wins_the_tie() {
    both(|use_flow| async move {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut p = pipeline::<Result<u32, E>>()
            .timeout(secs(4))
            .retry(&FIXED_2S, |_| true, None);
        let body = || async {
            calls.set(calls.get() + 1);
            if calls.get() < 3 { Err(E::Busy) } else { Ok(7) }
        };
        let result = drive!(use_flow, p, |_n| body());
        // The third attempt starts exactly at the deadline and is ready at once.
        assert_eq!(result, Ok(7));
        assert_eq!(start.elapsed(), secs(4));
    });
}

#[test]
fn a_deadline_above_bounds_each_attempt_and_the_whole_sequence() {
    both(|use_flow| async move {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut p = pipeline::<Result<(), E>>()
            .timeout(secs(3))
            .retry(&FIXED_2S, |_| true, None);
        let body = || async {
            calls.set(calls.get() + 1);
            sleep(secs(10)).await;
            Ok(())
        };
        let result = drive!(use_flow, p, |_n| body());
        assert_eq!(result, Err(E::Timeout(start + secs(3))));
        assert_eq!(calls.get(), 1);
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn a_timeout_below_a_retry_is_retried() {
    both(|use_flow| async move {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut p = pipeline::<Result<u32, E>>()
            .retry(&FIXED_2S, |e| matches!(e, E::Timeout(_)), None)
            .timeout(secs(1));
        let body = || async {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                sleep(secs(10)).await;
            }
            Ok(calls.get())
        };
        let result = drive!(use_flow, p, |_n| body());
        // 1s timed out, 2s sleep, then the second attempt at 3s.
        assert_eq!(result, Ok(2));
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn zero_delays_retry_without_waiting() {
    both(|use_flow| async move {
        let calls = Cell::new(0);
        let start = Instant::now();
        let mut p = pipeline::<Result<u32, E>>().retry(&NO_DELAY, |_| true, None);
        let body = || async {
            calls.set(calls.get() + 1);
            Err(E::Busy)
        };
        let result = drive!(use_flow, p, |_n| body());
        assert_eq!(result, Err(E::Busy));
        assert_eq!(calls.get(), 3);
        assert_eq!(start.elapsed(), Duration::ZERO);
    });
}

#[test]
fn a_call_cancelled_by_a_deadline_counts_as_nothing() {
    both(|use_flow| async move {
        let breaker = CircuitBreaker::builder().threshold(1).build().unwrap();
        let mut p = pipeline::<Result<(), E>>()
            .timeout(secs(1))
            .circuit(&breaker, |_| true);
        let body = || async {
            sleep(secs(10)).await;
            Ok(())
        };
        let result = drive!(use_flow, p, |_n| body());
        assert!(matches!(result, Err(E::Timeout(_))));
        // Cancelled: counted as a call, neither success nor failure; still closed.
        assert_eq!(
            breaker.stats(),
            Stats {
                calls: 1,
                ..Stats::default()
            }
        );
        assert!(breaker.try_acquire().is_ok());
    });
}

#[test]
fn a_retry_above_a_breaker_sleeps_on_its_rejections() {
    both(|use_flow| async move {
        let breaker = CircuitBreaker::builder()
            .threshold(1)
            .recovery(secs(3))
            .build()
            .unwrap();
        breaker.try_acquire().unwrap().failure();
        let start = Instant::now();
        let calls = Cell::new(0);
        let mut p = pipeline::<Result<u32, E>>()
            .retry(&FIXED_2S, |e| *e == E::Open, None)
            .circuit(&breaker, |_| true);
        let body = || async {
            calls.set(calls.get() + 1);
            Ok(1)
        };
        let result = drive!(use_flow, p, |_n| body());
        // Rejected at 0s and 2s, admitted as a probe at 4s.
        assert_eq!(result, Ok(1));
        assert_eq!(calls.get(), 1);
        assert_eq!(start.elapsed(), secs(4));
        assert_eq!(breaker.stats().rejected, 2);
    });
}

#[test]
fn fallback_agents_run_outside_a_timeout_below_them_and_inside_one_above() {
    both(|use_flow| async move {
        // Timeout inside the fallback: the agent is not bounded by it.
        let mut p = pipeline::<Result<&str, E>>()
            .fallback(&["slow_agent"], |_| true)
            .timeout(secs(1));
        let body = |n: usize| async move {
            sleep(secs(2)).await;
            if n == 0 { Err(E::Busy) } else { Ok("agent") }
        };
        let start = Instant::now();
        let result = drive!(use_flow, p, |n| body(n));
        assert_eq!(result, Ok("agent"));
        assert_eq!(start.elapsed(), secs(3));

        // Timeout around the fallback: one deadline for the primary and the agent.
        let mut p = pipeline::<Result<&str, E>>()
            .timeout(secs(3))
            .fallback(&["slow_agent"], |_| true);
        let start = Instant::now();
        let result = drive!(use_flow, p, |n| body(n));
        assert_eq!(result, Err(E::Timeout(start + secs(3))));
        assert_eq!(start.elapsed(), secs(3));
    });
}

#[test]
fn a_first_try_success_keeps_the_retry_state_small_and_unboxed() {
    let mut p = pipeline::<Result<u8, E>>().retry(&FIXED_2S, |_| true, None);
    assert!(matches!(p.start_blocking(), Step::Call(0)));
    assert!(matches!(p.next_blocking(Ok(1)), Step::Done(Ok(1))));
    // The policy, the `retry_after` reader, and the start instant `max_elapsed` needs.
    assert_eq!(size_of_val(&p), 32);
    // A pipeline without a timeout guards a call with nothing around it.
    let call = async { Ok::<u8, E>(1) };
    assert_eq!(
        size_of_val(&p.guard(call)),
        size_of_val(&async { Ok::<u8, E>(1) })
    );
}
