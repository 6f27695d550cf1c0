//! `#[timeout]`: exact deadlines on tokio's paused clock.
mod common;

use std::time::Duration;

use common::{ApiError, Calls, secs};
use resilience::{retry, timeout};
use tokio::time::{Instant, sleep};

#[tokio::test(start_paused = true)]
async fn a_slow_call_is_dropped_at_the_deadline() {
    #[timeout(10s)]
    async fn slow() -> Result<(), ApiError> {
        sleep(secs(30.0)).await;
        Ok(())
    }
    let start = Instant::now();
    let Err(ApiError::Timeout(timed_out)) = slow().await else {
        panic!("expected a timeout");
    };
    assert_eq!(start.elapsed(), secs(10.0));
    assert_eq!(timed_out.after(), secs(10.0));
}

#[tokio::test(start_paused = true)]
async fn a_fast_call_passes_through() {
    #[timeout(250ms)]
    async fn fast(x: u32) -> Result<u32, ApiError> {
        sleep(Duration::from_millis(249)).await;
        Ok(x + 1)
    }
    let start = Instant::now();
    assert_eq!(fast(1).await, Ok(2));
    assert_eq!(start.elapsed(), Duration::from_millis(249));
}

#[tokio::test(start_paused = true)]
async fn the_body_may_consume_its_arguments() {
    #[timeout(1s)]
    async fn consume(body: String) -> Result<Vec<u8>, ApiError> {
        Ok(body.into_bytes())
    }
    assert_eq!(consume("ab".to_owned()).await, Ok(b"ab".to_vec()));
}

#[tokio::test(start_paused = true)]
async fn duration_expressions_work() {
    const LIMIT: Duration = Duration::from_millis(1500);
    #[timeout(LIMIT)]
    async fn slow() -> Result<(), ApiError> {
        sleep(secs(2.0)).await;
        Ok(())
    }
    let start = Instant::now();
    assert!(matches!(slow().await, Err(ApiError::Timeout(_))));
    assert_eq!(start.elapsed(), secs(1.5));
}

#[tokio::test(start_paused = true)]
async fn below_retry_each_attempt_gets_its_own_deadline() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 3, base = 1s, jitter = "none", on = ApiError::Timeout(_))]
    #[timeout(2s)]
    async fn slow_then_fast() -> Result<u32, ApiError> {
        if CALLS.hit() < 3 {
            sleep(secs(5.0)).await;
        }
        Ok(7)
    }
    let start = Instant::now();
    assert_eq!(slow_then_fast().await, Ok(7));
    // Attempt 1 times out at 2s, waits 1s; attempt 2 times out at 5s, waits 2s.
    assert_eq!(CALLS.secs(), [0.0, 3.0, 7.0]);
    assert_eq!(start.elapsed(), secs(7.0));
}

#[tokio::test(start_paused = true)]
async fn above_retry_one_deadline_covers_every_attempt_and_sleep() {
    static CALLS: Calls = Calls::new();
    #[timeout(4s)]
    #[retry(attempts = 10, base = 1s, jitter = "none")]
    async fn always_down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let start = Instant::now();
    assert!(matches!(always_down().await, Err(ApiError::Timeout(_))));
    // Calls at 0, 1, 3; the next delay (4s) is cut by the deadline at 4s.
    assert_eq!(CALLS.secs(), [0.0, 1.0, 3.0]);
    assert_eq!(start.elapsed(), secs(4.0));
}
