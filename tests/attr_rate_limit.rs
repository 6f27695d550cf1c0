//! `#[rate_limit]`: pacing by requests and tokens, exact on tokio's paused clock.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use resilience::{RateLimited, RateLimiter, TimedOut, rate_limit, registry, retry, timeout};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};

const SECOND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    Limited(RateLimited),
    Timeout(TimedOut),
    Server,
}

impl From<RateLimited> for ApiError {
    fn from(e: RateLimited) -> Self {
        ApiError::Limited(e)
    }
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e)
    }
}

/// The instants (since `start`) at which `calls` concurrent calls of `f` got into its body.
async fn starts<F, Fut>(calls: usize, f: F) -> Vec<Duration>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Duration, ApiError>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for _ in 0..calls {
        set.spawn(f());
    }
    let mut starts: Vec<Duration> = set
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    starts.sort();
    starts
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

#[rate_limit(requests = 60, per = 1m)]
async fn sixty_a_minute(start: Instant) -> Result<Duration, ApiError> {
    Ok(start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn sixty_a_minute_then_one_a_second() {
    let start = Instant::now();
    let starts = starts(63, move || sixty_a_minute(start)).await;
    let mut expected = vec![Duration::ZERO; 60];
    expected.extend([SECOND, 2 * SECOND, 3 * SECOND]);
    assert_eq!(starts, expected);
    let limiter = registry::rate_limiter("attr_rate_limit::sixty_a_minute").unwrap();
    assert_eq!(limiter.stats().waited, 3);
}

/// 6 000 tokens a minute (100 a second); the estimate is the prompt's length, what was
/// used comes back in the reply.
fn estimate(prompt: &str, answer: &u64) -> u64 {
    let _ = answer;
    prompt.len() as u64
}

fn used(result: &Result<(Duration, u64), ApiError>) -> Option<u64> {
    result.as_ref().ok().map(|(_, used)| *used)
}

#[rate_limit(tokens = 6_000, cost = estimate, usage = used, name = "tokens")]
async fn tokens(prompt: &str, answer: u64) -> Result<(Duration, u64), ApiError> {
    Ok((START.get().unwrap().elapsed(), answer))
}

#[tokio::test(start_paused = true)]
async fn estimates_are_taken_before_and_usage_reconciled_after() {
    START.set(Instant::now()).unwrap();
    let prompt_of = |n: usize| "x".repeat(n);
    // 4 000 estimated, 1 000 used: 3 000 come back.
    assert_eq!(
        tokens(&prompt_of(4_000), 1_000).await.unwrap().0,
        Duration::ZERO
    );
    let limiter = registry::rate_limiter("tokens").unwrap();
    assert_eq!(limiter.left().tokens, Some(5_000));
    // 5 000 estimated, all of it used: the bucket is empty.
    assert_eq!(
        tokens(&prompt_of(5_000), 5_000).await.unwrap().0,
        Duration::ZERO
    );
    // 300 estimated, 300 missing: 3s.
    assert_eq!(tokens(&prompt_of(300), 900).await.unwrap().0, 3 * SECOND);
    // It used 600 more than it said: the next 100-token call waits for those too (7s).
    assert_eq!(tokens(&prompt_of(100), 100).await.unwrap().0, 10 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_cost_above_the_burst_is_refused_without_running() {
    // 6 000 tokens is the whole bucket; 6 001 can never fit.
    let Err(ApiError::Limited(limited)) = tokens(&"x".repeat(6_001), 0).await else {
        panic!("expected a refusal");
    };
    assert!(limited.exceeds_burst());
    assert_eq!(limited.name(), "tokens");
}

static RETRIED_CALLS: AtomicU64 = AtomicU64::new(0);

#[retry(attempts = 3, base = 1s, max = 30s, jitter = "none")]
#[rate_limit(requests = 1, per = 20s, max_wait = 0s)]
async fn retried(start: Instant) -> Result<Duration, ApiError> {
    RETRIED_CALLS.fetch_add(1, SeqCst);
    Ok(start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_waits_the_refusal_out_exactly() {
    let start = Instant::now();
    assert_eq!(retried(start).await.unwrap(), Duration::ZERO);
    // Refused (20s to the next request), waited out exactly, then admitted.
    assert_eq!(retried(start).await.unwrap(), 20 * SECOND);
    assert_eq!(RETRIED_CALLS.load(SeqCst), 2);
}

#[retry(attempts = 3, max = 30s)]
#[rate_limit(tokens = 10, cost = ten_more, max_wait = 0s)]
async fn never_fits(prompt: &str) -> Result<(), ApiError> {
    let _ = prompt;
    Ok(())
}

fn ten_more(prompt: &str) -> u64 {
    prompt.len() as u64 + 10
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_gives_up_at_once_on_a_call_that_can_never_fit() {
    let start = Instant::now();
    let Err(ApiError::Limited(limited)) = never_fits("x").await else {
        panic!("expected a refusal");
    };
    assert!(limited.exceeds_burst());
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[timeout(3s)]
#[rate_limit(requests = 1, per = 10s, name = "deadline")]
async fn under_deadline(start: Instant) -> Result<Duration, ApiError> {
    Ok(start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_deadline_above_cancels_the_wait_and_the_place_is_given_back() {
    let start = Instant::now();
    assert_eq!(under_deadline(start).await.unwrap(), Duration::ZERO);
    // Would wait 10s; the deadline drops it at 3s, out of the queue.
    assert!(matches!(
        under_deadline(start).await,
        Err(ApiError::Timeout(_))
    ));
    assert_eq!(start.elapsed(), 3 * SECOND);
    let limiter = registry::rate_limiter("deadline").unwrap();
    assert_eq!(limiter.waiting(), 0);
    sleep(7 * SECOND).await;
    // The slot at 10s is still there for the next call.
    assert_eq!(under_deadline(start).await.unwrap(), 10 * SECOND);
}

/// A body that consumes its argument: the stack calls it once, after the wait.
#[rate_limit(requests = 1, per = 2s)]
async fn consumes(text: String, start: Instant) -> Result<(String, Duration), ApiError> {
    Ok((text, start.elapsed()))
}

#[tokio::test(start_paused = true)]
async fn a_stack_that_calls_once_waits_then_runs_the_body_once() {
    let start = Instant::now();
    assert_eq!(consumes("a".into(), start).await.unwrap().1, Duration::ZERO);
    let (text, at) = consumes("b".into(), start).await.unwrap();
    assert_eq!((text.as_str(), at), ("b", 2 * SECOND));
}

static SHARED_CALLS: AtomicU64 = AtomicU64::new(0);

#[rate_limit(requests = 2, per = 1m, max_wait = 0s, name = "one-key")]
async fn chat(prompt: &str) -> Result<(), ApiError> {
    let _ = prompt;
    SHARED_CALLS.fetch_add(1, SeqCst);
    Ok(())
}

#[rate_limit(requests = 2, per = 1m, max_wait = 0s, name = "one-key")]
async fn embed(text: &str) -> Result<(), ApiError> {
    let _ = text;
    SHARED_CALLS.fetch_add(1, SeqCst);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn functions_giving_one_name_share_one_quota() {
    chat("a").await.unwrap();
    embed("b").await.unwrap();
    assert!(matches!(chat("c").await, Err(ApiError::Limited(_))));
    assert!(matches!(embed("d").await, Err(ApiError::Limited(_))));
    assert_eq!(SHARED_CALLS.load(SeqCst), 2);
}

static OWN: RateLimiter = RateLimiter::new(resilience::ConfigError::unwrap_const(
    RateLimiter::builder()
        .requests(1)
        .per(Duration::from_secs(5))
        .settings(),
));

struct Client {
    limiter: &'static RateLimiter,
    served: u64,
}

impl Client {
    fn cost(&self, words: &[&str]) -> u64 {
        let _ = self.served;
        words.len() as u64
    }

    #[rate_limit(limiter = self.limiter, cost = Self::cost)]
    async fn send(&mut self, words: &[&str]) -> Result<Duration, ApiError> {
        self.served += words.len() as u64;
        Ok(START_METHOD.get().unwrap().elapsed())
    }
}

static START_METHOD: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

#[tokio::test(start_paused = true)]
async fn a_method_uses_its_own_limiter_and_a_cost_of_self() {
    START_METHOD.set(Instant::now()).unwrap();
    let mut client = Client {
        limiter: &OWN,
        served: 0,
    };
    assert_eq!(client.send(&["a", "b"]).await.unwrap(), Duration::ZERO);
    assert_eq!(client.send(&["c"]).await.unwrap(), 5 * SECOND);
    assert_eq!(client.served, 3);
}

#[rate_limit(requests = 1, per = 200ms)]
fn blocking(start: std::time::Instant) -> Result<Duration, ApiError> {
    Ok(start.elapsed())
}

#[test]
fn a_blocking_function_waits_on_its_thread() {
    let start = std::time::Instant::now();
    assert!(blocking(start).unwrap() < Duration::from_millis(200));
    assert!(blocking(start).unwrap() >= Duration::from_millis(200));
}

#[rate_limit(requests = 10, per = 1s)]
async fn fails(start: Instant) -> Result<Duration, ApiError> {
    let _ = start;
    Err(ApiError::Server)
}

#[tokio::test(start_paused = true)]
async fn errors_of_the_body_pass_through_unchanged() {
    assert_eq!(fails(Instant::now()).await, Err(ApiError::Server));
}
