//! `#[retry]` with settings from the program (`policy = EXPR`, counts from `const`s), and
//! a body that reads its attempt number (`attempt = n`).
mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::{ApiError, Calls, secs};
use resilience::backoff::{Backoff, Jitter};
use resilience::retry::RetryPolicy;
use resilience::{ConfigError, retry};

/// The kind of thing a program reads from its configuration at start-up.
fn policy_from_config(attempts: u32, base: Duration) -> RetryPolicy {
    let backoff = Backoff::fixed()
        .base(base)
        .jitter(Jitter::None)
        .build()
        .unwrap();
    RetryPolicy::builder()
        .attempts(attempts)
        .backoff(backoff)
        .build()
        .unwrap()
}

struct Client {
    policy: RetryPolicy,
    calls: Calls,
}

impl Client {
    #[retry(policy = &self.policy)]
    async fn complete(&self) -> Result<u32, ApiError> {
        self.calls.hit();
        Err(ApiError::Network)
    }
}

#[tokio::test(start_paused = true)]
async fn a_policy_known_only_at_run_time() {
    let client = Client {
        policy: policy_from_config(3, Duration::from_millis(250)),
        calls: Calls::new(),
    };
    assert_eq!(client.complete().await, Err(ApiError::Network));
    assert_eq!(client.calls.secs(), [0.0, 0.25, 0.5]);
}

const MAX_ATTEMPTS: u32 = 2;

#[tokio::test(start_paused = true)]
async fn counts_from_consts() {
    static CALLS: Calls = Calls::new();
    #[retry(attempts = MAX_ATTEMPTS, base = 1s, jitter = "none")]
    async fn twice() -> Result<u32, ApiError> {
        CALLS.hit();
        Err(ApiError::Network)
    }
    assert_eq!(twice().await, Err(ApiError::Network));
    assert_eq!(CALLS.count(), MAX_ATTEMPTS);

    // The same `const` builder checks it: an expression that is not a valid count
    // fails at compile time (see tests/ui/retry/attempts_const_zero.rs).
    const POLICY: RetryPolicy =
        ConfigError::unwrap_const(RetryPolicy::builder().attempts(MAX_ATTEMPTS + 1).build());
    assert_eq!(POLICY.attempts(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_body_reads_its_attempt_number() {
    static PROMPTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    #[retry(attempts = 3, base = 1s, jitter = "none", attempt = n)]
    async fn summarize(text: &str) -> Result<String, ApiError> {
        // Tighten the prompt after a malformed reply, as one does with LLMs.
        let prompt = if n == 1 {
            format!("Summarize: {text}")
        } else {
            format!("Summarize in strict JSON (try {n}): {text}")
        };
        PROMPTS.lock().unwrap().push(prompt);
        if n < 3 {
            Err(ApiError::Malformed)
        } else {
            Ok("{}".to_owned())
        }
    }
    let start = tokio::time::Instant::now();
    assert_eq!(summarize("the reviews").await.unwrap(), "{}");
    assert_eq!(
        *PROMPTS.lock().unwrap(),
        [
            "Summarize: the reviews",
            "Summarize in strict JSON (try 2): the reviews",
            "Summarize in strict JSON (try 3): the reviews",
        ]
    );
    assert_eq!(start.elapsed(), secs(3.0));
}

#[test]
fn a_blocking_body_reads_its_attempt_number_too() {
    static SEEN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    #[retry(attempts = 4, base = 1ms, max = 1ms, jitter = "none", attempt = attempt)]
    fn load() -> Result<u32, ApiError> {
        SEEN.lock().unwrap().push(attempt);
        if attempt < 4 {
            Err(ApiError::Network)
        } else {
            Ok(attempt)
        }
    }
    assert_eq!(load(), Ok(4));
    assert_eq!(*SEEN.lock().unwrap(), [1, 2, 3, 4]);
}
