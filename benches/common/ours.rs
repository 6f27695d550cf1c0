//! Our side of each row: the body under each attribute, and the shared instances
//! (limiter, bulkhead, keyed breakers) the direct rows call.

use super::peers::*;
use super::*;
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
