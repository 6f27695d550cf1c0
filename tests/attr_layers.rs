//! Any layers, in any order, the same attribute more than once: what one layer does to
//! the others, through the attributes, exact on tokio's paused clock.
mod common;

use std::time::Duration;

use common::{ApiError, Calls, secs};
use resilience::fallback::{Served, observe};
use resilience::{circuit, fallback, registry, retry, timeout};
use tokio::time::{Instant, advance, sleep};

#[tokio::test(start_paused = true)]
async fn a_total_deadline_above_a_retry_and_one_per_attempt_below_it() {
    static CALLS: Calls = Calls::new();
    #[timeout(10s)]
    #[retry(attempts = 5, base = 2s, backoff = "fixed", jitter = "none")]
    #[timeout(3s)]
    async fn complete() -> Result<u32, ApiError> {
        CALLS.hit();
        sleep(secs(5.0)).await;
        Ok(1)
    }
    let start = Instant::now();
    let Err(ApiError::Timeout(timed_out)) = complete().await else {
        panic!("expected the total deadline");
    };
    // Attempts at 0s and 5s time out after 3s each and wait 2s; the third, at 10s,
    // is cut by the total deadline, whose error is returned (not retried).
    assert_eq!(CALLS.secs(), [0.0, 5.0, 10.0]);
    assert_eq!(timed_out.after(), secs(10.0));
    assert_eq!(timed_out.deadline(), start + secs(10.0));
    assert_eq!(start.elapsed(), secs(10.0));
}

#[tokio::test(start_paused = true)]
async fn the_deadline_counts_from_the_start_of_the_call() {
    #[timeout(500ms)]
    async fn slow_start() -> Result<u32, ApiError> {
        // 300ms of work before the first real wait (the clock moved as synchronous
        // work would move it), then 400ms more.
        advance(Duration::from_millis(300)).await;
        sleep(Duration::from_millis(400)).await;
        Ok(1)
    }
    let start = Instant::now();
    let Err(ApiError::Timeout(timed_out)) = slow_start().await else {
        panic!("700ms of work must not fit in 500ms");
    };
    assert_eq!(timed_out.deadline(), start + Duration::from_millis(500));
    assert_eq!(start.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn two_retries_stacked() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 2, base = 10s, max = 10s, jitter = "none")]
    #[retry(attempts = 3, base = 1s, backoff = "fixed", jitter = "none")]
    async fn down() -> Result<u32, ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    assert_eq!(down().await, Err(ApiError::Network));
    // Three inner attempts 1s apart, 10s, three more.
    assert_eq!(CALLS.secs(), [0.0, 1.0, 2.0, 12.0, 13.0, 14.0]);
}

#[tokio::test(start_paused = true)]
async fn a_fallback_inside_a_fallback() {
    static PRIMARY: Calls = Calls::new();
    static INNER: Calls = Calls::new();
    async fn cache(_: &str) -> Result<String, ApiError> {
        Ok("cached".to_owned())
    }
    async fn smaller(_: &str) -> Result<String, ApiError> {
        INNER.hit();
        Err(ApiError::Malformed)
    }
    #[fallback(agents = [cache])]
    #[retry(attempts = 2, base = 1s, jitter = "none")]
    #[fallback(agents = [smaller])]
    async fn big(_prompt: &str) -> Result<String, ApiError> {
        PRIMARY.hit();
        Err(ApiError::Network)
    }
    let (answer, served) = observe(big("hi")).await;
    assert_eq!(answer.unwrap(), "cached");
    assert_eq!(
        served,
        Some(Served {
            by: "cache",
            level: 1
        })
    );
    // Twice the primary then the inner agent (the retry enters the inner fallback
    // again), then the outer agent.
    assert_eq!(PRIMARY.secs(), [0.0, 1.0]);
    assert_eq!(INNER.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_a_breaker_waits_out_the_rejection() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, base = 1s, max = 30s, jitter = "none")]
    #[circuit(threshold = 2, recovery = 20s, name = "waited-out")]
    async fn flaky() -> Result<u32, ApiError> {
        match CALLS.hit() {
            1 | 2 => Err(ApiError::Network),
            n => Ok(n),
        }
    }
    // Attempt 1 fails at 0s, attempt 2 at 1s opens the breaker until 21s; attempt 3
    // is rejected at 3s and waits exactly the 18s left, then probes and succeeds.
    let start = Instant::now();
    assert_eq!(flaky().await, Ok(3));
    assert_eq!(CALLS.secs(), [0.0, 1.0, 21.0]);
    assert_eq!(start.elapsed(), secs(21.0));
    assert_eq!(registry::circuit("waited-out").unwrap().stats().rejected, 1);
}

#[tokio::test(start_paused = true)]
async fn a_rejection_longer_than_max_gives_up_at_once() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, base = 1s, max = 10s, jitter = "none")]
    #[circuit(threshold = 1, recovery = 30s, name = "too-long")]
    async fn down() -> Result<u32, ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let start = Instant::now();
    let Err(ApiError::Open(open)) = down().await else {
        panic!("expected the rejection");
    };
    // Attempt 1 opens it; the rejection after 1s says 29s, more than `max`: no wait.
    assert_eq!(open.retry_in(), secs(29.0));
    assert_eq!(CALLS.count(), 1);
    assert_eq!(start.elapsed(), secs(1.0));
}

#[tokio::test(start_paused = true)]
async fn observe_reports_the_observed_functions_own_fallback_only() {
    async fn embed_cache(_: &str) -> Result<String, ApiError> {
        Ok("embedding from cache".to_owned())
    }
    #[fallback(agents = [embed_cache])]
    async fn embed(_q: &str) -> Result<String, ApiError> {
        Err(ApiError::Network)
    }
    async fn small_model(_: &str) -> Result<String, ApiError> {
        Ok("small".to_owned())
    }
    #[fallback(agents = [small_model])]
    async fn big_model(q: &str) -> Result<String, ApiError> {
        // A fallback inside the body: embed falls back to its cache.
        let context = embed(q).await?;
        Ok(format!("big, with {context}"))
    }
    let (answer, served) = observe(big_model("q")).await;
    assert_eq!(answer.unwrap(), "big, with embedding from cache");
    assert_eq!(served, None, "big_model answered itself");

    // Observing the inner function directly still sees its fallback.
    let (_, served) = observe(embed("q")).await;
    assert_eq!(
        served,
        Some(Served {
            by: "embed_cache",
            level: 1
        })
    );

    // A function without a fallback does not report one taken in its body.
    #[retry(attempts = 1)]
    async fn plain(q: &str) -> Result<String, ApiError> {
        embed(q).await
    }
    let (_, served) = observe(plain("q")).await;
    assert_eq!(served, None);

    // A nested observe scope keeps what it saw to itself.
    let ((_, inner), outer) = observe(async { observe(embed("q")).await }).await;
    assert_eq!(
        inner,
        Some(Served {
            by: "embed_cache",
            level: 1
        })
    );
    assert_eq!(outer, None);
}
