//! `#[hedge]` on tokio's paused clock: when each copy starts, who wins, when the losers
//! are dropped, agents, the retry budget, and hedges inside and around retries.
mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::ApiError;
use resilience::fallback::{Served, observe};
use resilience::retry::RetryBudget;
use resilience::{fallback, hedge, retry, timeout};
use tokio::time::{Instant, sleep};

/// What the copies did: `(what, call, at)` in milliseconds since the log started.
struct Log {
    start: Instant,
    entries: Mutex<Vec<(&'static str, u32, u64)>>,
    calls: Mutex<u32>,
}

impl Log {
    fn new() -> Self {
        Log {
            start: Instant::now(),
            entries: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
        }
    }

    fn note(&self, what: &'static str, call: u32) {
        let at = u64::try_from(self.start.elapsed().as_millis()).expect("fits");
        self.entries.lock().unwrap().push((what, call, at));
    }

    /// A new call: its number, from 1.
    fn call(&self) -> u32 {
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        self.note("start", *calls);
        *calls
    }

    fn entries(&self) -> Vec<(&'static str, u32, u64)> {
        self.entries.lock().unwrap().clone()
    }
}

/// Notes `drop` if the call it belongs to is dropped before it ends.
struct Running<'a> {
    log: &'a Log,
    call: u32,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.log.note("drop", self.call);
    }
}

/// Call `n` takes `took[n - 1]` ms and then answers with `answers[n - 1]`.
async fn act(log: &Log, took: &[u64], answers: &[Result<u32, ApiError>]) -> Result<u32, ApiError> {
    let call = log.call();
    let running = Running { log, call };
    sleep(Duration::from_millis(took[call as usize - 1])).await;
    std::mem::forget(running);
    log.note("end", call);
    answers[call as usize - 1].clone()
}

#[hedge(after = 1s)]
async fn one_hedge(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn the_second_call_starts_exactly_at_after_and_the_loser_is_dropped_when_it_answers() {
    let log = Log::new();
    let answer = one_hedge(&log, &[5_000, 1_500], &[Ok(1), Ok(2)]).await;
    assert_eq!(answer, Ok(2));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("start", 2, 1_000),
            ("end", 2, 2_500),
            ("drop", 1, 2_500)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_answer_before_after_is_the_only_call() {
    let log = Log::new();
    let answer = one_hedge(&log, &[999], &[Ok(1)]).await;
    assert_eq!(answer, Ok(1));
    assert_eq!(log.entries(), [("start", 1, 0), ("end", 1, 999)]);
}

#[tokio::test(start_paused = true)]
async fn when_every_call_fails_the_last_error_is_returned() {
    let log = Log::new();
    let answers = [Err(ApiError::Network), Err(ApiError::Malformed)];
    let answer = one_hedge(&log, &[3_000, 1_000], &answers).await;
    // Call 2 failed at 2 s, call 1 last, at 3 s.
    assert_eq!(answer, Err(ApiError::Network));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("start", 2, 1_000),
            ("end", 2, 2_000),
            ("end", 1, 3_000)
        ]
    );
}

async fn replica_b(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    log.note("replica_b", 0);
    act(log, took, answers).await.map(|n| n + 100)
}

async fn replica_c(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    log.note("replica_c", 0);
    act(log, took, answers).await.map(|n| n + 200)
}

#[hedge(after = 500ms, agents = [replica_b, replica_c])]
async fn with_agents(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn each_extra_call_is_the_next_agent() {
    let log = Log::new();
    let answers = [Ok(1), Ok(2), Ok(3)];
    let answer = with_agents(&log, &[9_000, 9_000, 100], &answers).await;
    // Call 3 is replica_c's, started at 1 s, answered at 1.1 s.
    assert_eq!(answer, Ok(203));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("replica_b", 0, 500),
            ("start", 2, 500),
            ("replica_c", 0, 1_000),
            ("start", 3, 1_000),
            ("end", 3, 1_100),
            ("drop", 1, 1_100),
            ("drop", 2, 1_100),
        ]
    );
}

/// Retries wrap the hedged call; each copy has its own 3 s deadline.
#[retry(attempts = 2, base = 1s, jitter = "none")]
#[hedge(after = 1s)]
#[timeout(3s)]
async fn hedge_inside_retry(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn a_hedge_inside_a_retry_is_hedged_again_on_each_attempt() {
    let log = Log::new();
    // Attempt 1: call 1 (0 s) and call 2 (1 s) both hang and time out at 3 s and 4 s.
    // The retry waits 1 s; attempt 2: call 3 at 5 s answers at 5.2 s.
    let answers = [Ok(1), Ok(2), Ok(3)];
    let answer = hedge_inside_retry(&log, &[60_000, 60_000, 200], &answers).await;
    assert_eq!(answer, Ok(3));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("start", 2, 1_000),
            ("drop", 1, 3_000),
            ("drop", 2, 4_000),
            ("start", 3, 5_000),
            ("end", 3, 5_200),
        ]
    );
}

/// Each copy is a retry sequence of its own.
#[hedge(after = 1s)]
#[retry(attempts = 3, base = 500ms, jitter = "none")]
async fn retry_inside_hedge(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn a_retry_inside_a_hedge_retries_within_each_copy() {
    let log = Log::new();
    // Copy 0: call 1 fails at 0.2 s, its retry (call 2) starts at 0.7 s and hangs.
    // Copy 1 starts at 1 s (call 3) and answers at 1.3 s: copy 0's retry is dropped.
    let answers = [Err(ApiError::Network), Ok(2), Ok(3)];
    let answer = retry_inside_hedge(&log, &[200, 60_000, 300], &answers).await;
    assert_eq!(answer, Ok(3));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("end", 1, 200),
            ("start", 2, 700),
            ("start", 3, 1_000),
            ("end", 3, 1_300),
            ("drop", 2, 1_300),
        ]
    );
}

static HEDGE_BUDGET: RetryBudget = match RetryBudget::builder()
    .name("tests::attr_hedge::budget")
    .ratio(0.0)
    .floor(0.1) // one retry or hedge per 10 s
    .build()
{
    Ok(budget) => budget,
    Err(_) => panic!("valid settings"),
};

#[retry(attempts = 1, budget = &HEDGE_BUDGET)]
#[hedge(after = 1s)]
async fn budgeted(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn hedges_draw_on_the_functions_retry_budget() {
    let log = Log::new();
    let answers = [Ok(1), Ok(2), Ok(3)];
    // The first call is hedged (the budget's one) and answered by call 1 at 2 s...
    let took = [2_000, 5_000, 2_000];
    assert_eq!(budgeted(&log, &took, &answers).await, Ok(1));
    // ...the second is not: the budget is spent, and call 3 runs alone.
    assert_eq!(budgeted(&log, &took, &answers).await, Ok(3));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("start", 2, 1_000),
            ("end", 1, 2_000),
            ("drop", 2, 2_000),
            ("start", 3, 2_000),
            ("end", 3, 4_000),
        ]
    );
}

async fn backup(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    let _ = (took, answers);
    log.note("backup", 0);
    Ok(99)
}

#[hedge(after = 1s)]
#[fallback(agents = [backup])]
async fn fallback_inside_hedge(
    log: &Log,
    took: &[u64],
    answers: &[Result<u32, ApiError>],
) -> Result<u32, ApiError> {
    act(log, took, answers).await
}

#[tokio::test(start_paused = true)]
async fn a_fallback_inside_a_hedge_is_reported_as_the_functions() {
    let log = Log::new();
    let answers = [Err(ApiError::Network)];
    let (answer, served) = observe(fallback_inside_hedge(&log, &[200], &answers)).await;
    assert_eq!(answer, Ok(99));
    assert_eq!(
        served,
        Some(Served {
            by: "backup",
            level: 1
        })
    );
    assert_eq!(
        log.entries(),
        [("start", 1, 0), ("end", 1, 200), ("backup", 0, 200)]
    );
}

struct Client {
    model: String,
    log: Log,
}

impl Client {
    /// A method with an owned argument the body only borrows.
    #[hedge(after = 100ms)]
    async fn complete(&self, prompt: String) -> Result<String, ApiError> {
        let call = self.log.call();
        sleep(Duration::from_millis(if call == 1 { 1_000 } else { 10 })).await;
        Ok(format!("{} #{call}: {}", self.model, prompt.len()))
    }
}

#[tokio::test(start_paused = true)]
async fn methods_and_owned_arguments_are_hedged_and_the_future_is_send() {
    let client = std::sync::Arc::new(Client {
        model: "gpt".to_owned(),
        log: Log::new(),
    });
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.complete("hello".to_owned()).await }
    });
    assert_eq!(task.await.unwrap().unwrap(), "gpt #2: 5");
}

#[retry(attempts = 3, base = 1ms, jitter = "none", budget = "tests::attr_hedge::named")]
async fn named_budget_a(log: &Log) -> Result<u32, ApiError> {
    log.call();
    Err(ApiError::Network)
}

#[retry(attempts = 3, base = 1ms, jitter = "none", budget = "tests::attr_hedge::named")]
async fn named_budget_b(log: &Log) -> Result<u32, ApiError> {
    log.call();
    Err(ApiError::Network)
}

#[tokio::test(start_paused = true)]
async fn functions_naming_one_budget_share_it() {
    let budget = resilience::retry::budget::named("tests::attr_hedge::named");
    // Spend the floor's reserve but 3 (100 per 10 s; these calls deposit 2 first
    // attempts, worth 0.4 of a retry, not enough for a fourth).
    for _ in 0..97 {
        assert!(budget.try_withdraw(resilience::retry::Price::Retry));
    }
    let log = Log::new();
    assert_eq!(named_budget_a(&log).await, Err(ApiError::Network));
    assert_eq!(named_budget_b(&log).await, Err(ApiError::Network));
    // a: 1 call + 2 retries; b: 1 call + the last retry.
    assert_eq!(*log.calls.lock().unwrap(), 3 + 2);
}

/// A policy built in code (from configuration, per client), given whole.
struct Replicated {
    hedge: resilience::hedge::HedgePolicy,
}

impl Replicated {
    #[hedge(policy = &self.hedge)]
    async fn complete(
        &self,
        log: &Log,
        took: &[u64],
        answers: &[Result<u32, ApiError>],
    ) -> Result<u32, ApiError> {
        act(log, took, answers).await
    }
}

#[tokio::test(start_paused = true)]
async fn an_existing_policy_decides_when_and_how_many() {
    let client = Replicated {
        hedge: resilience::hedge::HedgePolicy::builder()
            .after(Duration::from_millis(300))
            .max(2)
            .build()
            .unwrap(),
    };
    let log = Log::new();
    let answer = client
        .complete(&log, &[5_000, 5_000, 100], &[Ok(1), Ok(2), Ok(3)])
        .await;
    assert_eq!(answer, Ok(3));
    assert_eq!(
        log.entries(),
        [
            ("start", 1, 0),
            ("start", 2, 300),
            ("start", 3, 600),
            ("end", 3, 700),
            ("drop", 1, 700),
            ("drop", 2, 700)
        ]
    );
}
