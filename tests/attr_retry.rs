//! `#[retry]`: every key, exact call counts and instants on tokio's paused clock.
mod common;

use std::time::Duration;

use common::{ApiError, Calls, is_transient, secs, server_delay};
use resilience::retry;
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn attempts_counts_every_call_and_exp_backoff_waits_1_2_4() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, backoff = "exp", jitter = "none")]
    async fn always_down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let start = Instant::now();
    assert_eq!(always_down().await, Err(ApiError::Network));
    assert_eq!(CALLS.count(), 4);
    assert_eq!(CALLS.secs(), [0.0, 1.0, 3.0, 7.0]);
    assert_eq!(start.elapsed(), secs(7.0));
}

#[tokio::test(start_paused = true)]
async fn defaults_are_three_attempts_with_capped_exp_backoff() {
    static CALLS: Calls = Calls::new();
    #[retry(jitter = "none")]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let _ = down().await;
    assert_eq!(CALLS.secs(), [0.0, 1.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn success_after_failures_returns_the_value() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, jitter = "none")]
    async fn flaky(prompt: &str) -> Result<String, ApiError> {
        if CALLS.hit() < 3 {
            return Err(ApiError::Network);
        }
        Ok(format!("answer to {prompt}"))
    }
    assert_eq!(flaky("q").await.unwrap(), "answer to q");
    assert_eq!(CALLS.secs(), [0.0, 1.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn question_mark_in_the_body_is_retried() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 3, base = 10ms, jitter = "none")]
    async fn parse() -> Result<u32, ApiError> {
        let text = if CALLS.hit() < 3 {
            "not a number"
        } else {
            "42"
        };
        let n: u32 = text.parse()?;
        Ok(n)
    }
    assert_eq!(parse().await, Ok(42));
    assert_eq!(CALLS.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn on_pattern_returns_other_errors_at_once_unchanged() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, on = ApiError::Network | ApiError::RateLimited { .. })]
    async fn malformed() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Malformed)
    }
    let start = Instant::now();
    assert_eq!(malformed().await, Err(ApiError::Malformed));
    assert_eq!(CALLS.count(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn when_predicate_chooses_the_retried_errors() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 5, base = 1s, jitter = "none", when = is_transient)]
    async fn sequence() -> Result<(), ApiError> {
        match CALLS.hit() {
            1 | 2 => Err(ApiError::Network),
            _ => Err(ApiError::Malformed),
        }
    }
    assert_eq!(sequence().await, Err(ApiError::Malformed));
    assert_eq!(CALLS.secs(), [0.0, 1.0, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_replaces_that_one_delay_only() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 3, jitter = "none", retry_after = server_delay)]
    async fn limited() -> Result<(), ApiError> {
        match CALLS.hit() {
            1 => Err(ApiError::RateLimited {
                retry_after: secs(3.0),
            }),
            _ => Err(ApiError::Network),
        }
    }
    let _ = limited().await;
    // 3s asked by the server, then the schedule's own delay for retry 2: 2s.
    assert_eq!(CALLS.secs(), [0.0, 3.0, 5.0]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_longer_than_max_gives_up_at_once() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, max = 10s, retry_after = server_delay)]
    async fn limited() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::RateLimited {
            retry_after: secs(60.0),
        })
    }
    let start = Instant::now();
    assert_eq!(
        limited().await,
        Err(ApiError::RateLimited {
            retry_after: secs(60.0)
        })
    );
    assert_eq!(CALLS.count(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_skips_a_delay_that_would_end_too_late() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 10, jitter = "none", max_elapsed = 2500ms)]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let start = Instant::now();
    let _ = down().await;
    // Retry 2 would start at 1s + 2s = 3s, past 2.5s.
    assert_eq!(CALLS.secs(), [0.0, 1.0]);
    assert_eq!(start.elapsed(), secs(1.0));
}

#[tokio::test(start_paused = true)]
async fn fixed_and_linear_backoff() {
    static FIXED: Calls = Calls::new();
    static LINEAR: Calls = Calls::new();
    #[retry(attempts = 4, backoff = "fixed", base = 2s, jitter = "none")]
    async fn fixed() -> Result<(), ApiError> {
        FIXED.hit();
        Err(ApiError::Network)
    }
    #[retry(attempts = 4, backoff = "linear", base = 500ms, jitter = "none")]
    async fn linear() -> Result<(), ApiError> {
        LINEAR.hit();
        Err(ApiError::Network)
    }
    let _ = fixed().await;
    let _ = linear().await;
    assert_eq!(FIXED.secs(), [0.0, 2.0, 4.0, 6.0]);
    assert_eq!(LINEAR.secs(), [0.0, 0.5, 1.5, 3.0]);
}

#[tokio::test(start_paused = true)]
async fn exp_factor_and_cap() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 5, base = 1s, factor = 3, max = 5s, jitter = "none")]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let _ = down().await;
    // 1, 3, then capped at 5, 5.
    assert_eq!(CALLS.secs(), [0.0, 1.0, 4.0, 9.0, 14.0]);
}

#[tokio::test(start_paused = true)]
async fn full_jitter_stays_within_the_nominal_delay() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 4, base = 1s, jitter = "full")]
    async fn down() -> Result<(), ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    let _ = down().await;
    let at = CALLS.secs();
    let gaps: Vec<f64> = at.windows(2).map(|w| w[1] - w[0]).collect();
    for (gap, nominal) in gaps.iter().zip([1.0, 2.0, 4.0]) {
        assert!(
            (0.0..=nominal).contains(gap),
            "{gap} outside [0, {nominal}]"
        );
    }
}

/// Not `Clone`: the body only borrows it, so no copy is needed between attempts.
struct Conversation {
    turns: Vec<String>,
}

struct Client {
    calls: u32,
}

impl Client {
    #[retry(attempts = 3, base = 1s, jitter = "none")]
    async fn ask(
        &mut self,
        conversation: &Conversation,
        model: String,
    ) -> Result<String, ApiError> {
        self.calls += 1;
        if self.calls < 3 {
            return Err(ApiError::Network);
        }
        Ok(format!("{model}: {} turns", conversation.turns.len()))
    }

    #[retry(attempts = 3, base = 1ms, jitter = "none")]
    fn ask_blocking(&mut self, model: &str) -> Result<String, ApiError> {
        self.calls += 1;
        if self.calls % 3 != 0 {
            return Err(ApiError::Network);
        }
        Ok(model.to_uppercase())
    }
}

#[tokio::test(start_paused = true)]
async fn methods_borrow_self_mutably_and_arguments_without_clone() {
    let mut client = Client { calls: 0 };
    let conversation = Conversation {
        turns: vec!["hi".into()],
    };
    let answer = client.ask(&conversation, "gpt-4".to_owned()).await;
    assert_eq!(answer.unwrap(), "gpt-4: 1 turns");
    assert_eq!(client.calls, 3);
}

#[test]
fn blocking_functions_retry_with_thread_sleep() {
    let mut client = Client { calls: 0 };
    let started = std::time::Instant::now();
    assert_eq!(client.ask_blocking("gpt").unwrap(), "GPT");
    assert_eq!(client.calls, 3);
    // 1ms + 2ms of real sleep.
    assert!(started.elapsed() >= Duration::from_millis(3));
}

#[tokio::test(start_paused = true)]
async fn owned_argument_consumed_per_attempt_with_an_explicit_clone() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = 2, base = 1s, jitter = "none")]
    async fn send(body: String) -> Result<usize, ApiError> {
        // The documented spelling: take a fresh copy per attempt.
        let body = body.clone();
        let owned: Vec<u8> = body.into_bytes();
        if CALLS.hit() == 1 {
            return Err(ApiError::Network);
        }
        Ok(owned.len())
    }
    assert_eq!(send("hello".to_owned()).await, Ok(5));
}

#[tokio::test(start_paused = true)]
async fn the_future_is_send_and_spawnable() {
    #[retry(attempts = 2, base = 1s, jitter = "none")]
    async fn work(n: u32) -> Result<u32, ApiError> {
        tokio::task::yield_now().await;
        Ok(n * 2)
    }
    let handle = tokio::spawn(work(21));
    assert_eq!(handle.await.unwrap(), Ok(42));
}

#[tokio::test(start_paused = true)]
async fn a_seed_makes_jittered_delays_reproducible() {
    static FIRST: Calls = Calls::new();
    static SECOND: Calls = Calls::new();
    #[retry(attempts = 4, base = 1s, jitter = "full", seed = 7)]
    async fn first() -> Result<(), ApiError> {
        FIRST.hit();
        Err(ApiError::Network)
    }
    #[retry(attempts = 4, base = 1s, jitter = "full", seed = 7)]
    async fn second() -> Result<(), ApiError> {
        SECOND.hit();
        Err(ApiError::Network)
    }
    let _ = first().await;
    let _ = second().await;
    assert_eq!(FIRST.secs(), SECOND.secs());
    // Jittered: not the nominal 0, 1, 3, 7.
    assert_ne!(FIRST.secs(), [0.0, 1.0, 3.0, 7.0]);
}
