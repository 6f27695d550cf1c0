//! `stream::first_item` and `Streamed` on tokio's paused clock: when a stream call is
//! answered, what it fails with, and the idle deadline after its first item.
mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use resilience_core::circuit::CircuitBreaker;
use resilience_core::pipeline::pipeline;
use resilience_core::retry::{NoRetryAfter, RetryPolicy};
use resilience_core::stream::{EmptyStream, StreamPolicy, first_item};
use resilience_core::{CircuitOpen, ConfigError, State, TimedOut, backoff};
use support::events::capture_async;
use support::script::{Line, Script};
use tokio::time::{Instant, sleep};

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    Overloaded,
    Cut,
    Timeout(Duration),
    Empty,
    Open,
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e.after())
    }
}
impl From<EmptyStream> for ApiError {
    fn from(_: EmptyStream) -> Self {
        ApiError::Empty
    }
}
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

type Item = Result<&'static str, ApiError>;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

const POLICY: StreamPolicy = ConfigError::unwrap_const(
    StreamPolicy::builder()
        .name("chat")
        .first(Duration::from_secs(5))
        .idle(Duration::from_secs(2))
        .build(),
);

fn after(s: f64, item: Item) -> Line<Item> {
    Line::After(secs(s), item)
}

#[tokio::test(start_paused = true)]
async fn the_call_is_answered_at_the_first_item_and_no_item_is_lost() {
    let (script, dropped) = Script::new([
        after(3.0, Ok("Hel")),
        after(1.0, Ok("lo")),
        after(1.5, Ok("!")),
    ]);
    let start = Instant::now();
    let answer = first_item(async { Ok(script) }, &POLICY).await.unwrap();
    assert_eq!(start.elapsed(), secs(3.0));
    let items: Vec<Item> = answer.collect().await;
    assert_eq!(items, [Ok("Hel"), Ok("lo"), Ok("!")]);
    assert_eq!(start.elapsed(), secs(5.5));
    assert!(dropped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn first_counts_from_the_start_of_the_call_and_drops_the_stream() {
    let (script, dropped) = Script::new([after(2.0, Ok("late"))]);
    let start = Instant::now();
    let call = async {
        sleep(secs(4.0)).await; // the request itself: headers after 4s
        Ok(script)
    };
    let err = first_item(call, &POLICY).await.unwrap_err();
    assert_eq!(err, ApiError::Timeout(secs(5.0)));
    assert_eq!(start.elapsed(), secs(5.0));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the stream is closed at the deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_before_the_first_item_times_out_at_first() {
    let (script, _) = Script::<Item>::new([Line::Stall]);
    let start = Instant::now();
    let (result, events) = capture_async(first_item(async { Ok(script) }, &POLICY)).await;
    assert_eq!(result.unwrap_err(), ApiError::Timeout(secs(5.0)));
    assert_eq!(start.elapsed(), secs(5.0));
    let failed: Vec<_> = events
        .iter()
        .filter(|e| e.message == "stream: failed before its first item")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].field("reason"), Some("timed out"));
    assert_eq!(failed[0].field("after_ms"), Some("5000"));
}

#[tokio::test(start_paused = true)]
async fn an_error_as_first_item_or_an_empty_stream_fails_the_call() {
    let (script, _) = Script::new([
        after(0.5, Err(ApiError::Overloaded)),
        after(0.0, Ok("never")),
    ]);
    assert_eq!(
        first_item(async { Ok(script) }, &POLICY).await.unwrap_err(),
        ApiError::Overloaded
    );

    let (script, _) = Script::<Item>::new([]);
    assert_eq!(
        first_item(async { Ok(script) }, &POLICY).await.unwrap_err(),
        ApiError::Empty
    );

    let opened: Result<Script<Item>, _> = Err(ApiError::Overloaded);
    assert_eq!(
        first_item(async { opened }, &POLICY).await.unwrap_err(),
        ApiError::Overloaded
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_item_is_logged_with_the_time_it_took() {
    let (script, _) = Script::new([after(1.25, Ok("a"))]);
    let (answer, events) = capture_async(first_item(async { Ok(script) }, &POLICY)).await;
    assert!(answer.is_ok());
    let first: Vec<_> = events
        .iter()
        .filter(|e| e.message == "stream: first item")
        .collect();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].field("after_ms"), Some("1250"));
    assert_eq!(first[0].field("name"), Some("chat"));
}

#[tokio::test(start_paused = true)]
async fn a_gap_longer_than_idle_ends_the_stream_with_timed_out() {
    let (script, dropped) = Script::new([
        after(1.0, Ok("a")),
        after(1.9, Ok("b")),
        after(2.5, Ok("lost")),
    ]);
    let start = Instant::now();
    let mut answer = first_item(async { Ok(script) }, &POLICY).await.unwrap();
    assert_eq!(answer.next().await, Some(Ok("a")));
    assert_eq!(answer.next().await, Some(Ok("b")));
    assert_eq!(start.elapsed(), secs(2.9));
    let (idle, events) = capture_async(answer.next()).await;
    assert_eq!(idle, Some(Err(ApiError::Timeout(secs(2.0)))));
    assert_eq!(start.elapsed(), secs(4.9));
    assert!(dropped.load(Ordering::SeqCst));
    assert_eq!(answer.next().await, None);
    assert_eq!(answer.next().await, None);
    assert!(events.iter().any(|e| e.message.starts_with("stream idle")));
}

#[tokio::test(start_paused = true)]
async fn a_slow_reader_is_not_an_idle_stream() {
    // Items are ready whenever the reader comes back; the reader takes 10s each time.
    let (script, _) = Script::new([
        after(0.0, Ok("a")),
        after(0.0, Ok("b")),
        after(0.0, Ok("c")),
    ]);
    let mut answer = first_item(async { Ok(script) }, &POLICY).await.unwrap();
    let mut got = Vec::new();
    while let Some(item) = answer.next().await {
        got.push(item);
        sleep(secs(10.0)).await;
    }
    assert_eq!(got, [Ok("a"), Ok("b"), Ok("c")]);
}

#[tokio::test(start_paused = true)]
async fn an_error_after_the_first_item_is_the_callers() {
    let (script, _) = Script::new([after(0.1, Ok("a")), after(0.1, Err(ApiError::Cut))]);
    let answer = first_item(async { Ok(script) }, &POLICY).await.unwrap();
    let items: Vec<Item> = answer.collect().await;
    assert_eq!(items, [Ok("a"), Err(ApiError::Cut)]);
}

#[tokio::test(start_paused = true)]
async fn retried_and_counted_until_the_first_item_only() {
    static RETRY: RetryPolicy = ConfigError::unwrap_const(
        RetryPolicy::builder()
            .attempts(3)
            .backoff(ConfigError::unwrap_const(
                backoff::Backoff::fixed()
                    .base(Duration::from_secs(1))
                    .jitter(backoff::Jitter::None)
                    .build(),
            ))
            .build(),
    );
    let breaker = CircuitBreaker::builder()
        .name("stream-test")
        .threshold(5)
        .build()
        .unwrap();
    let mut attempt = 0;
    let start = Instant::now();
    let mut starts = Vec::new();
    let mut p = pipeline::<Result<_, ApiError>>()
        .circuit(&breaker, |_| true)
        .retry(&RETRY, |_| true, NoRetryAfter)
        .build();
    let answer = p
        .run(|_| {
            attempt += 1;
            starts.push(start.elapsed());
            let lines = match attempt {
                1 => vec![Line::Stall],                              // first fires at 5s
                2 => vec![after(0.5, Err(ApiError::Overloaded))],    // error event first
                _ => vec![after(0.5, Ok("a")), after(3.0, Ok("b"))], // idle fires after "a"
            };
            let (script, _) = Script::new(lines);
            first_item(async move { Ok(script) }, &POLICY)
        })
        .await
        .unwrap();
    assert_eq!(starts, [secs(0.0), secs(6.0), secs(7.5)]);
    assert_eq!(start.elapsed(), secs(8.0));
    let items: Vec<Item> = answer.collect().await;
    assert_eq!(items, [Ok("a"), Err(ApiError::Timeout(secs(2.0)))]);
    assert_eq!(attempt, 3, "no call after the first item");
    let stats = breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (1, 1, 0));
    assert_eq!(breaker.state(), State::Closed);
}

#[tokio::test(start_paused = true)]
async fn deadlines_past_the_clocks_range_are_no_deadlines() {
    let policy = StreamPolicy::builder()
        .first(Duration::MAX)
        .idle(Duration::MAX)
        .build()
        .unwrap();
    let (script, _) = Script::new([after(1.0, Ok("a")), after(100_000.0, Ok("b"))]);
    let answer = first_item(async { Ok(script) }, &policy).await.unwrap();
    let items: Vec<Item> = answer.collect().await;
    assert_eq!(items, [Ok("a"), Ok("b")]);
}
