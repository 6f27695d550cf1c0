//! The app of the metrics example: three annotated functions with scripted failures,
//! and an axum router that serves the recorder's Prometheus text on `/metrics`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use resilience::{CircuitOpen, TimedOut, circuit, retry, timeout};

/// What the scripted functions fail with.
#[derive(Debug, PartialEq)]
pub enum ApiError {
    /// The server is overloaded (retried, counted by the breaker).
    Overloaded,
    /// The breaker is open.
    Open,
    /// The deadline passed.
    TimedOut,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::TimedOut
    }
}

/// Fails twice, then answers: two retries, three attempts, one successful call.
#[retry(attempts = 3, base = 1ms, jitter = "none")]
pub async fn flaky(calls: &AtomicU32) -> Result<u32, ApiError> {
    match calls.fetch_add(1, Ordering::SeqCst) {
        0 | 1 => Err(ApiError::Overloaded),
        n => Ok(n),
    }
}

/// Always fails: two failures open the breaker, the third call is rejected.
#[circuit(threshold = 2, recovery = 60s, name = "metrics_demo")]
pub async fn down() -> Result<u32, ApiError> {
    Err(ApiError::Overloaded)
}

/// Never fails: its breaker never moves, and its gauge comes from
/// `record_circuit_states` at each scrape.
#[circuit(threshold = 2, name = "metrics_quiet")]
pub async fn quiet() -> Result<u32, ApiError> {
    Ok(1)
}

/// Never answers within its deadline.
#[timeout(10ms)]
pub async fn slow() -> Result<u32, ApiError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(0)
}

/// The scripted run: what the metrics then show.
pub async fn script() {
    let calls = AtomicU32::new(0);
    assert_eq!(flaky(&calls).await, Ok(2));
    for _ in 0..3 {
        let _ = down().await;
    }
    assert_eq!(slow().await, Err(ApiError::TimedOut));
}

/// `GET /metrics`: every breaker's state gauge, then everything recorded so far, in
/// Prometheus text.
pub fn router(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        get(move || {
            resilience::metrics::record_circuit_states();
            std::future::ready(handle.render())
        }),
    )
}
