//! What layers do to each other, exact on tokio's paused clock, through the protocol the
//! macros expand into (`enter`/`guard`/`leave`/`wait`).

use core::cell::Cell;
use core::time::Duration;

use tokio::time::{Instant, sleep};

use super::*;
use crate::backoff::{Backoff, Jitter};
use crate::fallback::Agent;
use crate::retry::{NoRetryAfter, RetryPolicy};
use crate::{CircuitBreaker, CircuitOpen, ConfigError, Stats, TimedOut};

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

const fn fixed(base: Duration, attempts: u32) -> RetryPolicy {
    ConfigError::unwrap_const(
        RetryPolicy::builder()
            .attempts(attempts)
            .backoff(ConfigError::unwrap_const(
                Backoff::fixed().base(base).jitter(Jitter::None).build(),
            ))
            .build(),
    )
}

/// Fixed 2s between attempts, no jitter, up to 10 attempts.
static FIXED_2S: RetryPolicy = fixed(secs(2), 10);
/// No delay between attempts, 3 attempts.
static NO_DELAY: RetryPolicy = fixed(Duration::ZERO, 3);

/// The loop the macros expand into.
macro_rules! drive {
    ($p:ident, |$n:ident| $call:expr) => {{
        let mut flow = $p.enter();
        loop {
            let $n = match flow {
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

/// Counts calls of a body that answers `answer(call number)` after `took`.
struct Script<F> {
    calls: Cell<u32>,
    starts: core::cell::RefCell<Vec<Duration>>,
    origin: Instant,
    answer: F,
}

impl<F: Fn(u32) -> (Duration, Result<u32, E>)> Script<F> {
    fn new(answer: F) -> Self {
        Script {
            calls: Cell::new(0),
            starts: core::cell::RefCell::new(Vec::new()),
            origin: Instant::now(),
            answer,
        }
    }

    async fn call(&self) -> Result<u32, E> {
        self.calls.set(self.calls.get() + 1);
        self.starts.borrow_mut().push(self.origin.elapsed());
        let (took, result) = (self.answer)(self.calls.get());
        sleep(took).await;
        result
    }

    fn starts(&self) -> Vec<Duration> {
        self.starts.borrow().clone()
    }
}

#[tokio::test(start_paused = true)]
async fn a_deadline_above_a_retry_cuts_its_sleep_short() {
    let start = Instant::now();
    let script = Script::new(|_| (Duration::ZERO, Err(E::Busy)));
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(5))
        .retry(&FIXED_2S, |_| true, NoRetryAfter)
        .build();
    let result = drive!(p, |_n| script.call());
    // Attempts at 0s, 2s, 4s; the sleep after the third would end at 6s.
    assert_eq!(result, Err(E::Timeout(start + secs(5))));
    assert_eq!(script.starts(), [secs(0), secs(2), secs(4)]);
    assert_eq!(start.elapsed(), secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_delay_that_ends_at_the_deadline_wins_the_tie() {
    let start = Instant::now();
    let script = Script::new(|n| (Duration::ZERO, if n < 3 { Err(E::Busy) } else { Ok(n) }));
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(4))
        .retry(&FIXED_2S, |_| true, NoRetryAfter)
        .build();
    let result = drive!(p, |_n| script.call());
    // The third attempt starts exactly at the deadline and is ready at once.
    assert_eq!(result, Ok(3));
    assert_eq!(start.elapsed(), secs(4));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_above_bounds_each_attempt_and_the_whole_sequence() {
    let start = Instant::now();
    let script = Script::new(|n| (secs(10), Ok(n)));
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(3))
        .retry(&FIXED_2S, |_| true, NoRetryAfter)
        .build();
    let result = drive!(p, |_n| script.call());
    assert_eq!(result, Err(E::Timeout(start + secs(3))));
    assert_eq!(script.calls.get(), 1);
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_timeout_below_a_retry_is_retried() {
    let start = Instant::now();
    let script = Script::new(|n| (if n == 1 { secs(10) } else { Duration::ZERO }, Ok(n)));
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&FIXED_2S, |e| matches!(e, E::Timeout(_)), NoRetryAfter)
        .timeout(secs(1))
        .build();
    let result = drive!(p, |_n| script.call());
    // 1s timed out, 2s sleep, then the second attempt at 3s.
    assert_eq!(result, Ok(2));
    assert_eq!(script.starts(), [secs(0), secs(3)]);
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_total_deadline_above_a_retry_and_one_per_attempt_below_it() {
    // The standard HTTP pipeline: 10s for everything, 3s for each attempt.
    let start = Instant::now();
    let script = Script::new(|n| (secs(5), Ok(n)));
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(10))
        .retry(&FIXED_2S, |e| matches!(e, E::Timeout(_)), NoRetryAfter)
        .timeout(secs(3))
        .build();
    let result = drive!(p, |_n| script.call());
    // Attempt 1 times out at 3s (its own deadline), sleeps 2s; attempt 2 at 5s times
    // out at 8s, sleeps 2s; attempt 3 at 10s is cut at once by the total deadline.
    assert_eq!(script.starts(), [secs(0), secs(5), secs(10)]);
    assert_eq!(result, Err(E::Timeout(start + secs(10))));
    assert_eq!(start.elapsed(), secs(10));

    // The per-attempt deadline's error is the one retried: a total deadline that is
    // never reached lets the third attempt answer.
    let start = Instant::now();
    let script = Script::new(|n| (if n < 3 { secs(5) } else { secs(1) }, Ok(n)));
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(30))
        .retry(&FIXED_2S, |e| matches!(e, E::Timeout(_)), NoRetryAfter)
        .timeout(secs(3))
        .build();
    let result = drive!(p, |_n| script.call());
    assert_eq!(result, Ok(3));
    assert_eq!(script.starts(), [secs(0), secs(5), secs(10)]);
    assert_eq!(start.elapsed(), secs(11));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_start_of_the_call() {
    // 300ms of work before the body's first real wait (the clock moved by hand, as
    // synchronous work would move it), then 400ms more: 700ms in all against 500ms.
    let start = Instant::now();
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(Duration::from_millis(500))
        .build();
    let result = drive!(p, |_n| async {
        tokio::time::advance(Duration::from_millis(300)).await;
        sleep(Duration::from_millis(400)).await;
        Ok(1)
    });
    assert_eq!(result, Err(E::Timeout(start + Duration::from_millis(500))));
    assert_eq!(start.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn zero_delays_retry_without_waiting() {
    let start = Instant::now();
    let script = Script::new(|_| (Duration::ZERO, Err(E::Busy)));
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&NO_DELAY, |_| true, NoRetryAfter)
        .build();
    let mut waits = 0;
    let mut flow = p.enter();
    let result = loop {
        match flow {
            Flow::Call(_) => {
                let outcome = p.guard(script.call()).await;
                flow = p.leave(outcome);
            }
            Flow::Wait => {
                waits += 1;
                flow = p.wait().await;
            }
            Flow::Done(result) => break result,
        }
    };
    assert_eq!(result, Err(E::Busy));
    assert_eq!((script.calls.get(), waits), (3, 0));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn two_retries_stacked_multiply_their_attempts() {
    // 2 outer attempts, each running 3 inner ones without delay; 2s between the outer.
    static OUTER: RetryPolicy = fixed(secs(2), 2);
    let script = Script::new(|_| (Duration::ZERO, Err(E::Busy)));
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&OUTER, |_| true, NoRetryAfter)
        .retry(&NO_DELAY, |_| true, NoRetryAfter)
        .build();
    let result = drive!(p, |_n| script.call());
    assert_eq!(result, Err(E::Busy));
    assert_eq!(
        script.starts(),
        [secs(0), secs(0), secs(0), secs(2), secs(2), secs(2)]
    );

    // The inner retry starts a fresh sequence each time the outer one enters it.
    let start = Instant::now();
    let script = Script::new(|n| (Duration::ZERO, if n == 5 { Ok(n) } else { Err(E::Busy) }));
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&OUTER, |_| true, NoRetryAfter)
        .retry(&NO_DELAY, |_| true, NoRetryAfter)
        .build();
    assert_eq!(drive!(p, |_n| script.call()), Ok(5));
    assert_eq!(start.elapsed(), secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_call_cancelled_by_a_deadline_counts_as_nothing() {
    let breaker = CircuitBreaker::builder().threshold(1).build().unwrap();
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(1))
        .circuit(&breaker, |_| true)
        .build();
    let script = Script::new(|n| (secs(10), Ok(n)));
    let result = drive!(p, |_n| script.call());
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
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_a_breaker_waits_out_its_rejection() {
    let breaker = CircuitBreaker::builder()
        .threshold(1)
        .recovery(secs(3))
        .build()
        .unwrap();
    breaker.try_acquire().unwrap().failure();
    let script = Script::new(|n| (Duration::ZERO, Ok(n)));
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&FIXED_2S, |e| *e == E::Open, NoRetryAfter)
        .circuit(&breaker, |_| true)
        .build();
    let result = drive!(p, |_n| script.call());
    // Rejected at 0s with 3s to go: one wait of exactly 3s (not the 2s backoff), then
    // admitted as a probe.
    assert_eq!(result, Ok(1));
    assert_eq!(script.starts(), [secs(3)]);
    assert_eq!(breaker.stats().rejected, 1);
}

#[tokio::test(start_paused = true)]
async fn a_rejection_longer_than_max_or_max_elapsed_gives_up_at_once() {
    let breaker = CircuitBreaker::builder()
        .threshold(1)
        .recovery(secs(30))
        .build()
        .unwrap();
    breaker.try_acquire().unwrap().failure();
    let start = Instant::now();
    // `max` is 10s by default: 30s to go is too long to wait.
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&FIXED_2S, |_| true, NoRetryAfter)
        .circuit(&breaker, |_| true)
        .build();
    assert_eq!(drive!(p, |_n| async { Ok(1) }), Err(E::Open));
    assert_eq!(start.elapsed(), Duration::ZERO);

    static BOUNDED: RetryPolicy = ConfigError::unwrap_const(
        RetryPolicy::builder()
            .max_elapsed(secs(20))
            .backoff(ConfigError::unwrap_const(
                Backoff::fixed().max(secs(60)).jitter(Jitter::None).build(),
            ))
            .build(),
    );
    // Within `max` now, but past `max_elapsed`.
    let mut p = pipeline::<Result<u32, E>>()
        .retry(&BOUNDED, |_| true, NoRetryAfter)
        .circuit(&breaker, |_| true)
        .build();
    assert_eq!(drive!(p, |_n| async { Ok(1) }), Err(E::Open));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(breaker.stats().rejected, 2);
}

#[tokio::test(start_paused = true)]
async fn fallback_agents_run_outside_a_timeout_below_them_and_inside_one_above() {
    let body = |n: usize| async move {
        sleep(secs(2)).await;
        if n == 0 { Err(E::Busy) } else { Ok(7) }
    };
    // Timeout inside the fallback: the agent is not bounded by it.
    let mut p = pipeline::<Result<u32, E>>()
        .fallback(&const { [Agent::named("slow_agent")] }, |_| true)
        .timeout(secs(1))
        .build();
    let start = Instant::now();
    assert_eq!(drive!(p, |n| body(n)), Ok(7));
    assert_eq!(start.elapsed(), secs(3));

    // Timeout around the fallback: one deadline for the primary and the agent.
    let mut p = pipeline::<Result<u32, E>>()
        .timeout(secs(3))
        .fallback(&const { [Agent::named("slow_agent")] }, |_| true)
        .build();
    let start = Instant::now();
    assert_eq!(drive!(p, |n| body(n)), Err(E::Timeout(start + secs(3))));
    assert_eq!(start.elapsed(), secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_fallback_inside_a_fallback() {
    // Calls: 0 the body, 1 the outer agent, 2 the inner agent.
    let calls = core::cell::RefCell::new(Vec::new());
    let answer = |n: usize, fails: &[usize]| {
        calls.borrow_mut().push(n);
        if fails.contains(&n) {
            Err(E::Busy)
        } else {
            Ok(n as u32)
        }
    };
    let build = || {
        pipeline::<Result<u32, E>>()
            .fallback(&const { [Agent::named("outer_agent")] }, |_| true)
            .retry(&NO_DELAY, |_| true, NoRetryAfter)
            .fallback(&const { [Agent::named("inner_agent")] }, |_| true)
            .build()
    };
    // The inner agent serves: the retry and the outer fallback see a success.
    let mut p = build();
    assert_eq!(drive!(p, |n| async { answer(n, &[0]) }), Ok(2));
    assert_eq!(*calls.borrow(), [0, 2]);

    // The inner agent fails too: the retry enters the inner fallback again (body, then
    // agent, three times), then the outer agent serves.
    calls.borrow_mut().clear();
    let mut p = build();
    assert_eq!(drive!(p, |n| async { answer(n, &[0, 2]) }), Ok(1));
    assert_eq!(*calls.borrow(), [0, 2, 0, 2, 0, 2, 1]);
}

#[tokio::test(start_paused = true)]
async fn a_stack_that_waits_is_cancellation_safe_at_every_await() {
    // Dropped in its retry sleep under a breaker: the permit goes back, nothing counted.
    let breaker = CircuitBreaker::builder().threshold(1).build().unwrap();
    let run = async {
        let mut p = pipeline::<Result<u32, E>>()
            .circuit(&breaker, |_| true)
            .retry(&FIXED_2S, |_| true, NoRetryAfter)
            .build();
        drive!(p, |_n| async { Err::<u32, _>(E::Busy) })
    };
    assert!(tokio::time::timeout(secs(1), run).await.is_err());
    assert_eq!(
        breaker.stats(),
        Stats {
            calls: 1,
            ..Stats::default()
        }
    );
    assert!(breaker.try_acquire().is_ok());
}

#[test]
fn blocking_stacks_sleep_on_the_thread() {
    static SHORT: RetryPolicy = fixed(Duration::from_millis(5), 3);
    let calls = Cell::new(0);
    let mut p = pipeline::<Result<u32, &str>>()
        .fallback(&const { [Agent::named("cache")] }, |_| true)
        .retry(&SHORT, |_| true, NoRetryAfter)
        .build();
    let started = std::time::Instant::now();
    let result = p.run_blocking(|n| {
        calls.set(calls.get() + 1);
        if n == 0 { Err("busy") } else { Ok(9) }
    });
    assert_eq!(result, Ok(9));
    assert_eq!(calls.get(), 4);
    assert!(started.elapsed() >= Duration::from_millis(10));
}

#[test]
fn a_first_try_success_allocates_nothing_and_guards_with_nothing() {
    let mut p = pipeline::<Result<u8, E>>()
        .retry(&FIXED_2S, |_| true, NoRetryAfter)
        .build();
    assert!(matches!(p.enter(), Flow::Call(0)));
    assert!(matches!(p.leave(Ok(1).into()), Flow::Done(Ok(1))));
    // A pipeline without a timeout or breaker guards a call with nothing around it.
    let call = async { Ok::<u8, E>(1) };
    assert_eq!(
        size_of_val(&p.guard(call)),
        size_of_val(&async { Ok::<u8, E>(1) })
    );
}
