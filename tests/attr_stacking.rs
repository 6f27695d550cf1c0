//! Stacking: the topmost attribute is the outermost layer.
mod common;

use common::{ApiError, Calls, secs};
use resilience::fallback::{Served, observe};
use resilience::{State, circuit, fallback, registry, retry, timeout};
use tokio::time::{Instant, sleep};

#[tokio::test(start_paused = true)]
async fn circuit_above_retry_sees_one_outcome_per_retry_sequence() {
    static CALLS: Calls = Calls::new();
    #[circuit(threshold = 2, name = "outer-circuit")]
    #[retry(attempts = 3, base = 1s, jitter = "none")]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    assert_eq!(down().await, Err(ApiError::Network));
    let breaker = registry::circuit("outer-circuit").unwrap();
    assert_eq!(CALLS.count(), 3);
    assert_eq!(
        (breaker.stats().failures, breaker.state()),
        (1, State::Closed)
    );
    let _ = down().await;
    assert_eq!(CALLS.count(), 6);
    assert_eq!(breaker.state(), State::Open);
    assert!(matches!(down().await, Err(ApiError::Open(_))));
    assert_eq!(CALLS.count(), 6);
}

#[tokio::test(start_paused = true)]
async fn retry_above_circuit_sees_every_attempt_and_stops_on_open() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 5, base = 1s, jitter = "none", on = ApiError::Network)]
    #[circuit(threshold = 2, name = "inner-circuit")]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let start = Instant::now();
    // Two attempts open the breaker; the third attempt is rejected, and `on` does not
    // retry `Open`.
    let Err(ApiError::Open(open)) = down().await else {
        panic!("expected the breaker's rejection");
    };
    assert_eq!(open.name(), "inner-circuit");
    assert_eq!(CALLS.count(), 2);
    assert_eq!(start.elapsed(), secs(3.0));
    assert_eq!(
        registry::circuit("inner-circuit").unwrap().stats().rejected,
        1
    );
}

async fn gpt35(prompt: &str) -> Result<String, ApiError> {
    let _ = prompt;
    Err(ApiError::RateLimited {
        retry_after: secs(1.0),
    })
}

async fn local_llm(prompt: &str) -> Result<String, ApiError> {
    Ok(format!(
        "Sentiment of {prompt:?}: Positive (confidence: 0.78)"
    ))
}

static GPT4: Calls = Calls::new();

#[fallback(agents = [gpt35, local_llm])]
#[circuit(threshold = 3, recovery = 30s, success_threshold = 2, name = "gpt4")]
#[retry(attempts = 4, backoff = "exp", max = 10s, jitter = "none", on = ApiError::Network | ApiError::Timeout(_))]
#[timeout(10s)]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    GPT4.hit();
    let _ = prompt;
    sleep(secs(60.0)).await;
    Ok("never".to_owned())
}

#[tokio::test(start_paused = true)]
async fn the_design_stack_end_to_end() {
    let start = Instant::now();
    let (result, served) = observe(gpt4("reviews")).await;
    assert!(result.unwrap().starts_with("Sentiment"));
    assert_eq!(
        served,
        Some(Served {
            by: "local_llm",
            level: 2
        })
    );
    // Four attempts of 10s each, with 1 + 2 + 4 seconds between them.
    assert_eq!(GPT4.secs(), [0.0, 11.0, 23.0, 37.0]);
    assert_eq!(start.elapsed(), secs(47.0));
    let breaker = registry::circuit("gpt4").unwrap();
    assert_eq!(breaker.stats().failures, 1);
}
