//! The cases both benches measure: one body, wrapped by our attributes and by the crates
//! a user would pick instead, all driven by the same poll loop.
//!
//! The body is an `async fn` that returns at once: one opaque call (`op`, never
//! inlined, its argument and result `black_box`ed). Each case is a `fn(iters)` that
//! makes `iters` calls, so `benches/overhead.rs` (criterion, wall time) and
//! `benches/instructions.rs` (callgrind, sizes, allocations) time exactly the same code.
//!
//! Peers are configured as a user would write the equivalent of our attribute:
//! 3 attempts with exponential backoff and jitter for retry, 3 consecutive failures for
//! failsafe (its cheapest policy), a 100-call ring at a 50 % error rate for recloser,
//! governor's direct limiter for `#[rate_limit]` and a `tokio::sync::Semaphore` for
//! `#[bulkhead]` (both with room to spare, so every call is admitted).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use resilience::{
    Bulkhead, BulkheadFull, CircuitOpen, ConfigError, RateLimited, RateLimiter, TimedOut, bulkhead,
    circuit, hedge, rate_limit, retry, timeout,
};

mod stream_items;
pub use stream_items::{stream_items_bare, stream_items_ours, streamed_bytes};

/// The error type every body returns.
#[derive(Debug)]
#[allow(
    dead_code,
    reason = "the payloads are only there to be carried, as in real code"
)]
pub enum Error {
    Fail,
    Open(CircuitOpen),
    Timeout(TimedOut),
    Limited(RateLimited),
    Full(BulkheadFull),
}

impl From<RateLimited> for Error {
    fn from(e: RateLimited) -> Self {
        Error::Limited(e)
    }
}

impl From<BulkheadFull> for Error {
    fn from(e: BulkheadFull) -> Self {
        Error::Full(e)
    }
}

impl From<CircuitOpen> for Error {
    fn from(e: CircuitOpen) -> Self {
        Error::Open(e)
    }
}

impl From<resilience::EmptyStream> for Error {
    fn from(_: resilience::EmptyStream) -> Self {
        Error::Fail
    }
}

impl From<TimedOut> for Error {
    fn from(e: TimedOut) -> Self {
        Error::Timeout(e)
    }
}

const TEN_SECONDS: Duration = Duration::from_secs(10);
const THIRTY_SECONDS: Duration = Duration::from_secs(30);
const ONE_HOUR: Duration = Duration::from_secs(3600);

/// The opaque call inside every body.
#[inline(never)]
pub fn op(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Drives a future with a no-op waker until it is ready: no scheduler, no task, so the
/// runtime's cost does not hide what the wrappers cost. Every row uses this loop.
#[inline(always)]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

// ===== bodies =====

/// The bare call: what every row is compared to.
pub async fn bare(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// Fails on every 10th call (x = 9, 19, ...): a breaker with threshold 3 stays closed.
pub async fn flaky(x: u64) -> Result<u64, Error> {
    if x % 10 == 9 {
        Err(Error::Fail)
    } else {
        Ok(op(x))
    }
}

/// Always fails: opens a breaker at the first call.
pub async fn failing(x: u64) -> Result<u64, Error> {
    black_box(x);
    Err(Error::Fail)
}

pub mod cases;
mod ours;
mod peers;
pub use cases::cases;
use ours::*;
use peers::*;

/// The two-thread rows: `run(iters)` makes `iters` calls on each of two threads, all
/// through one breaker.
pub struct Shared {
    pub name: &'static str,
    pub run: fn(u64) -> Duration,
}

/// Runs `call` `iters` times on each of two threads and returns the wall time from the
/// first thread's start to the last one's end (thread start-up excluded).
fn two_threads(iters: u64, call: &(dyn Fn(u64) + Sync)) -> Duration {
    let barrier = std::sync::Barrier::new(2);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        call(black_box(i));
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect()
    });
    let start = spans.iter().map(|s| s.0).min().expect("two spans");
    let end = spans.iter().map(|s| s.1).max().expect("two spans");
    end - start
}

pub const SHARED: &[Shared] = &[
    Shared {
        name: "ours",
        run: |n| {
            two_threads(n, &|x| {
                let _ = black_box(block_on(ours_shared(x)));
            })
        },
    },
    Shared {
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_breaker(3, THIRTY_SECONDS);
            two_threads(n, &|x| {
                let _ = black_box(block_on(breaker.call(bare(x))));
            })
        },
    },
    Shared {
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            two_threads(n, &|x| {
                let _ = black_box(block_on(breaker.call(bare(x))));
            })
        },
    },
];

/// A current-thread runtime with the time driver, entered on this thread, so that the
/// timers tokio's `timeout` builds have somewhere to register. Keep the guard alive.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
}
