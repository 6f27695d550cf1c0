//! `#[rate_limit(key = ..)]`: a quota per model, exact on tokio's paused clock.

use std::time::Duration;

use resilience::registry::{self, Value};
use resilience::{RateLimited, rate_limit};
use tokio::time::{Instant, sleep};

const SECOND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    Limited(RateLimited),
}

impl From<RateLimited> for ApiError {
    fn from(e: RateLimited) -> Self {
        ApiError::Limited(e)
    }
}

#[rate_limit(requests = 2, per = 1s, max_wait = 10s, key = model, name = "keyed::models")]
async fn per_model(model: &str, start: Instant) -> Result<Duration, ApiError> {
    Ok(start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn each_model_has_its_own_quota() {
    let start = Instant::now();
    let mut at = Vec::new();
    for model in ["gpt-4o", "gpt-4o", "gpt-4o", "mini", "mini"] {
        at.push((model, per_model(model, start).await.unwrap()));
    }
    // gpt-4o's third call waits half a second (2 a second); mini's two pass at once,
    // whatever gpt-4o spent.
    let half = SECOND / 2;
    assert_eq!(
        at,
        [
            ("gpt-4o", Duration::ZERO),
            ("gpt-4o", Duration::ZERO),
            ("gpt-4o", half),
            ("mini", half),
            ("mini", half),
        ]
    );
    let status = registry::find("rate_limit", "keyed::models")
        .unwrap()
        .status();
    assert_eq!(status.get("keys"), Some(&Value::Count(2)));
    let Some(Value::Members(members)) = status.get("members") else {
        panic!("a keyed limiter lists its members: {status:?}")
    };
    let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["gpt-4o", "mini"]);
    assert_eq!(members[1].1.get("requests_left"), Some(&Value::Count(0)));
}

/// Two functions that give one name share each key's quota.
#[rate_limit(requests = 1, per = 1s, key = model, name = "keyed::shared")]
async fn chat(model: &str) -> Result<(), ApiError> {
    let _ = model;
    Ok(())
}

#[rate_limit(requests = 1, per = 1s, key = model, name = "keyed::shared")]
async fn embed(model: &str) -> Result<(), ApiError> {
    let _ = model;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn functions_with_one_name_share_each_key() {
    let start = Instant::now();
    chat("gpt-4o").await.unwrap();
    embed("gpt-4o").await.unwrap(); // waits for chat's request to come back
    assert_eq!(start.elapsed(), SECOND);
    embed("other").await.unwrap(); // another key: at once
    assert_eq!(start.elapsed(), SECOND);
}

/// Keys that are not strings are named by their `Display`.
#[rate_limit(requests = 1, per = 1m, max_wait = 0s, key = shard, name = "keyed::shards")]
async fn by_shard(shard: u16) -> Result<u16, ApiError> {
    Ok(shard)
}

#[tokio::test(start_paused = true)]
async fn a_display_key_is_its_text() {
    assert_eq!(by_shard(7).await, Ok(7));
    assert!(matches!(by_shard(7).await, Err(ApiError::Limited(_))));
    assert_eq!(by_shard(8).await, Ok(8));
    let status = registry::find("rate_limit", "keyed::shards")
        .unwrap()
        .status();
    let Some(Value::Members(members)) = status.get("members") else {
        panic!("{status:?}")
    };
    assert_eq!(members[0].0, "7");
    assert_eq!(members[1].0, "8");
}

/// `max_keys = 1`: a second key finds the first one still paying back its request, so
/// it cannot be evicted; the second key shares the overflow limiter, never unlimited.
#[rate_limit(requests = 1, per = 10s, max_wait = 0s, key = host, max_keys = 1, name = "keyed::full")]
async fn by_host(host: &str) -> Result<(), ApiError> {
    let _ = host;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_full_family_paces_new_keys_by_the_overflow_limiter() {
    let full = || {
        registry::find("rate_limit", "keyed::full")
            .unwrap()
            .status()
    };
    by_host("a").await.unwrap();
    // "a" is not full again for 10 s: "b" and "c" share the overflow limiter's one
    // request.
    by_host("b").await.unwrap();
    let refused = by_host("c").await.unwrap_err();
    let ApiError::Limited(limited) = refused;
    assert_eq!(limited.retry_in(), 10 * SECOND);
    assert_eq!(full().get("overflowed"), Some(&Value::Count(2)));
    assert_eq!(full().get("keys"), Some(&Value::Count(1)));

    // Once "a" is full again (and passed over by one sweep), a new key evicts it.
    sleep(10 * SECOND).await;
    by_host("d").await.unwrap();
    let status = full();
    let Some(Value::Members(members)) = status.get("members") else {
        panic!("{status:?}")
    };
    let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["d"]);
    assert_eq!(status.get("overflowed"), Some(&Value::Count(2)));
}

/// A call dropped while it waits gives its place back, in its key's limiter.
#[rate_limit(requests = 1, per = 1s, key = model, name = "keyed::cancel")]
async fn cancellable(model: &str, start: Instant) -> Result<Duration, ApiError> {
    let _ = model;
    Ok(start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiting_call_gives_its_place_back() {
    let start = Instant::now();
    cancellable("m", start).await.unwrap();
    // Waits for 1 s; dropped after 0.5 s.
    let waited = tokio::time::timeout(SECOND / 2, cancellable("m", start)).await;
    assert!(waited.is_err());
    // The next call is the first in line again, admitted at 1 s.
    assert_eq!(cancellable("m", start).await, Ok(SECOND));
    let status = registry::find("rate_limit", "keyed::cancel")
        .unwrap()
        .status();
    let Some(Value::Members(members)) = status.get("members") else {
        panic!("{status:?}")
    };
    assert_eq!(members[0].1.get("waiting"), Some(&Value::Count(0)));
}
