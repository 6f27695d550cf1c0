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

// ===== ours =====

#[retry]
pub async fn ours_retry(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// `#[retry]` whose retries a budget pays for: the first attempt deposits.
#[retry(budget = "bench::budget")]
pub async fn ours_retry_budget(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// `#[hedge]` whose first call answers at once: no timer, no second call.
#[hedge(after = 1s)]
pub async fn ours_hedge(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

#[circuit(threshold = 3, recovery = 30s)]
pub async fn ours_circuit(x: u64) -> Result<u64, Error> {
    if x % 10 == 9 {
        Err(Error::Fail)
    } else {
        Ok(op(x))
    }
}

#[circuit(threshold = 1, recovery = 1h)]
pub async fn ours_open(x: u64) -> Result<u64, Error> {
    black_box(x);
    Err(Error::Fail)
}

/// The rate mode: half of the last 100 calls failing opens it (stays closed here).
#[circuit(failure_rate = 0.5, window = 100, min_calls = 10, recovery = 30s)]
pub async fn ours_rate(x: u64) -> Result<u64, Error> {
    if x % 10 == 9 {
        Err(Error::Fail)
    } else {
        Ok(op(x))
    }
}

/// The rate mode over time: half of the last 30s's calls (each call reads the clock).
#[circuit(failure_rate = 0.5, window = 30s, min_calls = 10, recovery = 30s)]
pub async fn ours_rate_time(x: u64) -> Result<u64, Error> {
    if x % 10 == 9 {
        Err(Error::Fail)
    } else {
        Ok(op(x))
    }
}

/// One breaker per model: the lookup of an existing key on every call.
#[circuit(threshold = 3, recovery = 30s, key = model)]
pub async fn ours_keyed(model: &str, x: u64) -> Result<u64, Error> {
    if x % 10 == 9 {
        Err(Error::Fail)
    } else {
        Ok(op(x))
    }
}

/// The keyed family alone, as `#[circuit(key = ..)]` uses it.
pub static KEYED: resilience::circuit::Breakers = resilience::circuit::Breakers::new(
    match resilience::CircuitBreaker::builder()
        .name("bench/keyed")
        .build()
    {
        Ok(breaker) => breaker,
        Err(_) => panic!("valid settings"),
    },
    resilience::circuit::Scope::PerKey,
    std::num::NonZeroUsize::new(1024).unwrap(),
);

/// What a user would write by hand for breakers per key: a map behind a lock.
pub fn hand_keyed() -> &'static std::sync::Mutex<
    std::collections::HashMap<String, std::sync::Arc<recloser::AsyncRecloser>>,
> {
    static MAP: std::sync::OnceLock<
        std::sync::Mutex<
            std::collections::HashMap<String, std::sync::Arc<recloser::AsyncRecloser>>,
        >,
    > = std::sync::OnceLock::new();
    MAP.get_or_init(Default::default)
}

pub fn hand_keyed_lookup(key: &str) -> std::sync::Arc<recloser::AsyncRecloser> {
    let mut map = hand_keyed().lock().expect("not poisoned");
    if let Some(breaker) = map.get(key) {
        return breaker.clone();
    }
    let breaker = std::sync::Arc::new(recloser_breaker(100, THIRTY_SECONDS));
    map.insert(key.to_owned(), breaker.clone());
    breaker
}

#[timeout(10s)]
pub async fn ours_timeout(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

#[circuit(threshold = 3, recovery = 30s)]
#[retry]
#[timeout(10s)]
pub async fn ours_stack(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// The two-thread row: one breaker (this function's) shared by both threads.
#[circuit(threshold = 3, recovery = 30s)]
pub async fn ours_shared(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// A billion requests a second: a quota no run exhausts, so every call is admitted.
#[rate_limit(requests = 1_000_000_000, per = 1s)]
pub async fn ours_rate_limit(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// The same quota per model: the lookup of an existing key on every call.
#[rate_limit(requests = 1_000_000_000, per = 1s, key = model)]
pub async fn ours_rate_limit_keyed(model: &str, x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

#[bulkhead(max = 10)]
pub async fn ours_bulkhead(x: u64) -> Result<u64, Error> {
    Ok(op(x))
}

/// The same quota as `ours_rate_limit`, for the direct admission row.
pub static LIMITER: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
    RateLimiter::builder()
        .requests(1_000_000_000)
        .per(Duration::from_secs(1))
        .settings(),
));

/// The same bulkhead as `ours_bulkhead`, for the direct acquire/release row.
pub static BULKHEAD: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(
    Bulkhead::builder().max(10).settings(),
));

// ===== peers =====

fn backon_policy() -> backon::ExponentialBuilder {
    backon::ExponentialBuilder::default()
        .with_jitter()
        .with_max_times(2)
}

pub fn backon_retry(x: u64) -> impl Future<Output = Result<u64, Error>> {
    use backon::Retryable;
    (move || bare(x)).retry(backon_policy())
}

#[cfg(feature = "tryhard")]
pub fn tryhard_retry(x: u64) -> impl Future<Output = Result<u64, Error>> {
    tryhard::retry_fn(move || bare(x))
        .retries(2)
        .exponential_backoff(Duration::from_secs(1))
        .max_delay(TEN_SECONDS)
}

pub fn tokio_retry(x: u64) -> impl Future<Output = Result<u64, Error>> {
    use tokio_retry::strategy::{ExponentialBackoff, jitter};
    let strategy = ExponentialBackoff::from_millis(2)
        .factor(500)
        .max_delay(TEN_SECONDS)
        .map(jitter)
        .take(2);
    tokio_retry::Retry::start(strategy, move || bare(x))
}

pub type Failsafe = failsafe::StateMachine<
    failsafe::failure_policy::ConsecutiveFailures<failsafe::backoff::Constant>,
    (),
>;

pub fn failsafe_breaker(threshold: u32, recovery: Duration) -> Failsafe {
    use failsafe::{backoff, failure_policy};
    failsafe::Config::new()
        .failure_policy(failure_policy::consecutive_failures(
            threshold,
            backoff::constant(recovery),
        ))
        .build()
}

pub type FailsafeRate = failsafe::StateMachine<
    failsafe::failure_policy::SuccessRateOverTimeWindow<failsafe::backoff::Constant>,
    (),
>;

/// failsafe's success-rate policy: below 50 % success over 30s, with at least 10 calls.
pub fn failsafe_rate_breaker() -> FailsafeRate {
    use failsafe::{backoff, failure_policy};
    failsafe::Config::new()
        .failure_policy(failure_policy::success_rate_over_time_window(
            0.5,
            10,
            THIRTY_SECONDS,
            backoff::constant(THIRTY_SECONDS),
        ))
        .build()
}

pub fn recloser_breaker(closed_len: usize, recovery: Duration) -> recloser::AsyncRecloser {
    recloser::Recloser::custom()
        .error_rate(0.5)
        .closed_len(closed_len)
        .half_open_len(10)
        .open_wait(recovery)
        .build()
        .into()
}

/// recloser + backon + tokio's timeout, stacked by hand in the attribute order
/// `#[circuit] #[retry] #[timeout]`.
pub fn hand_stack(
    breaker: &recloser::AsyncRecloser,
    x: u64,
) -> impl Future<Output = Result<u64, recloser::Error<Error>>> {
    use backon::Retryable;
    let attempt = move || async move {
        match tokio::time::timeout(TEN_SECONDS, bare(x)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::Fail),
        }
    };
    breaker.call(attempt.retry(backon_policy()))
}

/// tower's retry budget (10 s, 10 per second, 20 %), as `tower::retry` uses it: one
/// deposit per request.
pub fn tower_budget() -> tower::retry::budget::TpsBudget {
    tower::retry::budget::TpsBudget::new(TEN_SECONDS, 10, 0.2)
}

/// tokio-retry with tower's budget: a deposit, then the retried call.
pub fn tower_budget_retry(
    budget: &tower::retry::budget::TpsBudget,
    x: u64,
) -> impl Future<Output = Result<u64, Error>> {
    use tower::retry::budget::Budget;
    budget.deposit();
    tokio_retry(x)
}

pub type Governor = governor::DefaultDirectRateLimiter;

/// governor's direct limiter with the same quota as ours.
pub fn governor() -> Governor {
    let quota = std::num::NonZeroU32::new(1_000_000_000).expect("not zero");
    governor::RateLimiter::direct(governor::Quota::per_second(quota))
}

/// governor on `std::time::Instant`, the clock ours reads in a release build (through
/// tokio's): the same clock cost on both sides, so the difference is the algorithm's.
pub type GovernorStd = governor::RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    governor::clock::MonotonicClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

pub fn governor_std() -> GovernorStd {
    let quota = std::num::NonZeroU32::new(1_000_000_000).expect("not zero");
    governor::RateLimiter::direct_with_clock(
        governor::Quota::per_second(quota),
        governor::clock::MonotonicClock,
    )
}

/// What a user writes with governor around the call.
pub async fn governor_call(limiter: &Governor, x: u64) -> Result<u64, Error> {
    if limiter.check().is_err() {
        return Err(Error::Fail);
    }
    bare(x).await
}

pub type GovernorKeyed = governor::DefaultKeyedRateLimiter<&'static str>;

/// governor's keyed limiter (a `DashMap` of GCRA cells) with the same quota per key.
pub fn governor_keyed() -> GovernorKeyed {
    let quota = std::num::NonZeroU32::new(1_000_000_000).expect("not zero");
    governor::RateLimiter::keyed(governor::Quota::per_second(quota))
}

/// What a user writes with governor's keyed limiter around the call.
pub async fn governor_keyed_call(
    limiter: &GovernorKeyed,
    model: &'static str,
    x: u64,
) -> Result<u64, Error> {
    if limiter.check_key(&model).is_err() {
        return Err(Error::Fail);
    }
    bare(x).await
}

/// What a user writes with a semaphore around the call.
pub async fn semaphore_call(semaphore: &tokio::sync::Semaphore, x: u64) -> Result<u64, Error> {
    let _permit = semaphore.try_acquire().map_err(|_| Error::Fail)?;
    bare(x).await
}

// ===== the table =====

/// One row: `run(iters)` makes `iters` calls; `bytes()` is the size of one returned
/// future.
#[derive(Clone, Copy)]
pub struct Case {
    /// Criterion group (one per goal).
    pub group: &'static str,
    /// Criterion function id; `ours` is ours, anything else a peer (`bare` the baseline).
    pub name: &'static str,
    pub run: fn(u64),
    pub bytes: fn() -> usize,
}

macro_rules! calls {
    ($iters:expr, |$x:ident| $call:expr) => {
        for i in 0..$iters {
            let $x = black_box(i);
            let _ = black_box(block_on($call));
        }
    };
}

/// Every row, in table order. tryhard's only with the `tryhard` feature (see Cargo.toml).
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::from(CASES);
    #[cfg(feature = "tryhard")]
    cases.insert(
        cases
            .iter()
            .position(|c| c.group == "retry")
            .map_or(0, |i| i + 2),
        Case {
            group: "retry",
            name: "tryhard",
            run: |n| calls!(n, |x| tryhard_retry(x)),
            bytes: || size_of_val(&tryhard_retry(0)),
        },
    );
    cases
}

const CASES: &[Case] = &[
    // #[stream]: one item of an answered stream, read through `Streamed` (first item
    // held, idle deadline set) and from the bare stream. Each run is one stream of
    // `iters` items, so a "call" here is one item.
    Case {
        group: "stream_item",
        name: "bare_stream",
        run: stream_items_bare,
        bytes: || size_of::<stream_items::Counter>(),
    },
    Case {
        group: "stream_item",
        name: "ours",
        run: stream_items_ours,
        bytes: streamed_bytes,
    },
    Case {
        group: "bare",
        name: "bare",
        run: |n| calls!(n, |x| bare(x)),
        bytes: || size_of_val(&bare(0)),
    },
    Case {
        group: "bare",
        name: "flaky",
        run: |n| calls!(n, |x| flaky(x)),
        bytes: || size_of_val(&flaky(0)),
    },
    Case {
        group: "bare",
        name: "failing",
        run: |n| calls!(n, |x| failing(x)),
        bytes: || size_of_val(&failing(0)),
    },
    // #[retry], first attempt succeeds.
    Case {
        group: "retry",
        name: "ours",
        run: |n| calls!(n, |x| ours_retry(x)),
        bytes: || size_of_val(&ours_retry(0)),
    },
    Case {
        group: "retry",
        name: "backon",
        run: |n| calls!(n, |x| backon_retry(x)),
        bytes: || size_of_val(&backon_retry(0)),
    },
    Case {
        group: "retry",
        name: "tokio-retry",
        run: |n| calls!(n, |x| tokio_retry(x)),
        bytes: || size_of_val(&tokio_retry(0)),
    },
    // #[retry(budget = ..)], first attempt succeeds: the budget's deposit.
    Case {
        group: "retry_budget",
        name: "ours",
        run: |n| calls!(n, |x| ours_retry_budget(x)),
        bytes: || size_of_val(&ours_retry_budget(0)),
    },
    Case {
        group: "retry_budget",
        name: "tower+tokio-retry",
        run: |n| {
            let budget = tower_budget();
            calls!(n, |x| tower_budget_retry(&budget, x));
        },
        bytes: || size_of_val(&tower_budget_retry(&tower_budget(), 0)),
    },
    // #[hedge], first call answers at once.
    Case {
        group: "hedge",
        name: "ours",
        run: |n| calls!(n, |x| ours_hedge(x)),
        bytes: || size_of_val(&ours_hedge(0)),
    },
    // #[circuit], closed: every 10th call fails, the breaker stays closed.
    Case {
        group: "circuit_closed",
        name: "ours",
        run: |n| calls!(n, |x| ours_circuit(x)),
        bytes: || size_of_val(&ours_circuit(0)),
    },
    Case {
        group: "circuit_closed",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_breaker(3, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_breaker(3, THIRTY_SECONDS).call(flaky(0)))
        },
    },
    Case {
        group: "circuit_closed",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || size_of_val(&recloser_breaker(100, THIRTY_SECONDS).call(flaky(0))),
    },
    // #[circuit], open: every call is rejected.
    Case {
        group: "circuit_open",
        name: "ours",
        run: |n| calls!(n, |x| ours_open(x)),
        bytes: || size_of_val(&ours_open(0)),
    },
    Case {
        group: "circuit_open",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_breaker(1, ONE_HOUR);
            calls!(n, |x| breaker.call(failing(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_breaker(1, ONE_HOUR).call(failing(0)))
        },
    },
    Case {
        group: "circuit_open",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(1, ONE_HOUR);
            calls!(n, |x| breaker.call(failing(x)));
        },
        bytes: || size_of_val(&recloser_breaker(1, ONE_HOUR).call(failing(0))),
    },
    // #[circuit(failure_rate = 0.5, window = 100)], closed (10% failures).
    Case {
        group: "circuit_rate",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate(x)),
        bytes: || size_of_val(&ours_rate(0)),
    },
    Case {
        group: "circuit_rate",
        name: "recloser",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || size_of_val(&recloser_breaker(100, THIRTY_SECONDS).call(flaky(0))),
    },
    // #[circuit(failure_rate = 0.5, window = 30s)], closed (10% failures).
    Case {
        group: "circuit_rate_time",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_time(x)),
        bytes: || size_of_val(&ours_rate_time(0)),
    },
    Case {
        group: "circuit_rate_time",
        name: "failsafe",
        run: |n| {
            use failsafe::futures::CircuitBreaker;
            let breaker = failsafe_rate_breaker();
            calls!(n, |x| breaker.call(flaky(x)));
        },
        bytes: || {
            use failsafe::futures::CircuitBreaker;
            size_of_val(&failsafe_rate_breaker().call(flaky(0)))
        },
    },
    // #[circuit(key = model)], closed (10% failures), the same key every call.
    Case {
        group: "circuit_keyed",
        name: "ours",
        run: |n| calls!(n, |x| ours_keyed("gpt-4", x)),
        bytes: || size_of_val(&ours_keyed("gpt-4", 0)),
    },
    // The lookup of an existing key alone.
    Case {
        group: "keyed_lookup",
        name: "ours",
        run: |n| {
            for i in 0..n {
                black_box(i);
                drop(black_box(KEYED.for_key(black_box("gpt-4"))));
            }
        },
        bytes: || size_of_val(&KEYED.for_key("gpt-4")),
    },
    Case {
        group: "keyed_lookup",
        name: "mutex+hashmap",
        run: |n| {
            for i in 0..n {
                black_box(i);
                drop(black_box(hand_keyed_lookup(black_box("gpt-4"))));
            }
        },
        bytes: || size_of_val(&hand_keyed_lookup("gpt-4")),
    },
    // The same, two keys taking turns (the last key found is looked at first: here it is
    // never the one asked for).
    Case {
        group: "keyed_lookup_2",
        name: "ours",
        run: |n| {
            for i in 0..n {
                let key = if black_box(i) % 2 == 0 {
                    "gpt-4"
                } else {
                    "claude"
                };
                drop(black_box(KEYED.for_key(black_box(key))));
            }
        },
        bytes: || size_of_val(&KEYED.for_key("gpt-4")),
    },
    Case {
        group: "keyed_lookup_2",
        name: "mutex+hashmap",
        run: |n| {
            for i in 0..n {
                let key = if black_box(i) % 2 == 0 {
                    "gpt-4"
                } else {
                    "claude"
                };
                drop(black_box(hand_keyed_lookup(black_box(key))));
            }
        },
        bytes: || size_of_val(&hand_keyed_lookup("gpt-4")),
    },
    // #[timeout] on a ready body.
    Case {
        group: "timeout",
        name: "ours",
        run: |n| calls!(n, |x| ours_timeout(x)),
        bytes: || size_of_val(&ours_timeout(0)),
    },
    Case {
        group: "timeout",
        name: "tokio",
        run: |n| calls!(n, |x| tokio::time::timeout(TEN_SECONDS, bare(x))),
        bytes: || size_of_val(&tokio::time::timeout(TEN_SECONDS, bare(0))),
    },
    // #[rate_limit], the quota never runs out.
    Case {
        group: "rate_limit",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_limit(x)),
        bytes: || size_of_val(&ours_rate_limit(0)),
    },
    Case {
        group: "rate_limit",
        name: "governor",
        run: |n| {
            let limiter = governor();
            calls!(n, |x| governor_call(&limiter, x));
        },
        bytes: || size_of_val(&governor_call(&governor(), 0)),
    },
    // The admission alone, without a call: `try_acquire` against governor's `check`.
    // Bytes: the limiter's own size.
    Case {
        group: "rate_limit_check",
        name: "ours",
        run: |n| {
            for _ in 0..n {
                black_box(LIMITER.try_acquire(black_box(0)).is_ok());
            }
        },
        bytes: || size_of::<RateLimiter>(),
    },
    Case {
        group: "rate_limit_check",
        name: "governor",
        run: |n| {
            let limiter = governor();
            for _ in 0..n {
                black_box(limiter.check().is_ok());
            }
        },
        bytes: || size_of::<Governor>(),
    },
    Case {
        group: "rate_limit_check",
        name: "governor-std-clock",
        run: |n| {
            let limiter = governor_std();
            for _ in 0..n {
                black_box(limiter.check().is_ok());
            }
        },
        bytes: || size_of::<GovernorStd>(),
    },
    // #[rate_limit(key = model)], the same key every call, against governor's keyed
    // limiter.
    Case {
        group: "rate_limit_keyed",
        name: "ours",
        run: |n| calls!(n, |x| ours_rate_limit_keyed("gpt-4", x)),
        bytes: || size_of_val(&ours_rate_limit_keyed("gpt-4", 0)),
    },
    Case {
        group: "rate_limit_keyed",
        name: "governor",
        run: |n| {
            let limiter = governor_keyed();
            calls!(n, |x| governor_keyed_call(&limiter, "gpt-4", x));
        },
        bytes: || size_of_val(&governor_keyed_call(&governor_keyed(), "gpt-4", 0)),
    },
    // #[bulkhead], never full.
    Case {
        group: "bulkhead",
        name: "ours",
        run: |n| calls!(n, |x| ours_bulkhead(x)),
        bytes: || size_of_val(&ours_bulkhead(0)),
    },
    Case {
        group: "bulkhead",
        name: "tokio-semaphore",
        run: |n| {
            let semaphore = tokio::sync::Semaphore::new(10);
            calls!(n, |x| semaphore_call(&semaphore, x));
        },
        bytes: || size_of_val(&semaphore_call(&tokio::sync::Semaphore::new(10), 0)),
    },
    // A permit taken and given back, without a call. Bytes: the permit's size.
    Case {
        group: "bulkhead_acquire",
        name: "ours",
        run: |n| {
            for _ in 0..n {
                drop(black_box(BULKHEAD.try_acquire()));
            }
        },
        bytes: || size_of::<resilience::bulkhead::Permit<'static>>(),
    },
    Case {
        group: "bulkhead_acquire",
        name: "tokio-semaphore",
        run: |n| {
            let semaphore = tokio::sync::Semaphore::new(10);
            for _ in 0..n {
                drop(black_box(semaphore.try_acquire()));
            }
        },
        bytes: || size_of::<tokio::sync::SemaphorePermit<'static>>(),
    },
    // #[circuit] #[retry] #[timeout]
    Case {
        group: "stack",
        name: "ours",
        run: |n| calls!(n, |x| ours_stack(x)),
        bytes: || size_of_val(&ours_stack(0)),
    },
    Case {
        group: "stack",
        name: "recloser+backon+tokio",
        run: |n| {
            let breaker = recloser_breaker(100, THIRTY_SECONDS);
            calls!(n, |x| hand_stack(&breaker, x));
        },
        bytes: || size_of_val(&hand_stack(&recloser_breaker(100, THIRTY_SECONDS), 0)),
    },
];

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
