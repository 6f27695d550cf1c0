//! The crates a user would pick instead, configured as that user would write the
//! equivalent of our attribute (see the parent module's docs).

use super::*;
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
