//! The openai_chat example's client against the fault-injecting server, over loopback.
//!
//! Each test scripts the server, makes calls, and asserts the exact sequence of requests
//! (which model, in which order), the events of the call (requests, failures, retries,
//! waits, fallbacks), the waits as the server saw them, and the answer.
//!
//! Tokio's clock is paused (`start_paused`), with the client's real timing (first retry
//! delay 500 ms, at most 8 s, 10 s per attempt, 30 s of breaker recovery): the server runs
//! in the test's own runtime and loopback delivers each write at once, so the runtime is
//! never idle while a reply is on its way and the clock only jumps over the waits. The
//! waits are therefore exact, and a test takes milliseconds of real time. (Were the
//! server elsewhere, the paused clock would jump to the attempt's deadline while the
//! client waited for its reply.) Backoff delays use equal jitter: retry n waits a delay
//! drawn in `[d/2, d]`, `d = 500 ms * 2^(n-1)`, and the server sees exactly that gap; a
//! delay the server asks for is taken as it is.

// Streamed and whole answers are tested in separate files, each using part of the client.
#[allow(dead_code)]
#[path = "../src/client.rs"]
mod client;
#[path = "../src/events.rs"]
mod events;
#[path = "../src/fault_server.rs"]
mod fault_server;

use std::time::Duration;

use client::{Answer, ApiKey, CANNED_ANSWER, CANNED_MODEL, Client, SYSTEM_PROMPT, timing};
use events::{Recorded, Recorder};
use fault_server::{FaultServer, Message, Received, Reply, RetryAfterForm};
use resilience::fallback::{Served, observe};
use resilience::{State, Stats};
use tokio::time::Instant;
use tracing::subscriber::DefaultGuard;

const PRIMARY: &str = "gpt-primary";
const SECOND: &str = "gpt-second";

/// A server with `script`, a client for it, and the events of this test's thread.
struct Setup {
    server: FaultServer,
    client: Client,
    recorder: Recorder,
    _recording: DefaultGuard,
}

async fn setup(script: impl IntoIterator<Item = Reply>) -> Setup {
    setup_with(fault_server::start(script).await, None)
}

fn setup_with(server: FaultServer, key: Option<&str>) -> Setup {
    let recorder = Recorder::default();
    let recording = tracing::subscriber::set_default(recorder.clone());
    let key = key.and_then(|key| ApiKey::new(key.to_owned()));
    let client = Client::new(&server.base_url(), key, PRIMARY, SECOND).unwrap();
    Setup {
        server,
        client,
        recorder,
        _recording: recording,
    }
}

/// A call's events, one short line each, for exact comparison.
fn story(events: &[Recorded]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let field = |name| event.field(name).unwrap_or("?");
            match (event.target, event.message.as_str()) {
                ("openai_chat", "request") => format!("request {}", field("model")),
                ("openai_chat", "answered") => format!("answered {}", field("model")),
                ("openai_chat", "failed") => {
                    let error = field("error");
                    // The transport's own words vary with the OS and hyper's version.
                    let error = if error.starts_with("no reply") {
                        "no reply"
                    } else {
                        error
                    };
                    format!("failed: {error}")
                }
                ("resilience", "timed out") => format!("timed out after {}", field("after")),
                ("resilience", "retry scheduled") if field("server_delay") == "true" => {
                    format!("retry {} after {}", field("attempt"), field("delay"))
                }
                ("resilience", "retry scheduled") => format!("retry {}", field("attempt")),
                ("resilience", "giving up") => {
                    format!("give up {}: {}", field("attempt"), field("reason"))
                }
                ("resilience", "circuit breaker state changed") => {
                    format!("breaker {} -> {}", field("from"), field("to"))
                }
                ("resilience", "circuit breaker rejected a call") => {
                    format!("breaker rejected the call ({})", field("state"))
                }
                ("resilience", "falling back") => {
                    format!("fall back to {} (level {})", field("to"), field("level"))
                }
                ("resilience", "fallback served") => {
                    format!("served by {} at level {}", field("by"), field("level"))
                }
                _ => format!("{}: {event}", event.target),
            }
        })
        .collect()
}

/// The delays of the retries scheduled, in order.
fn delays(events: &[Recorded]) -> Vec<Duration> {
    events
        .iter()
        .filter(|event| event.message == "retry scheduled")
        .map(|event| event.duration("delay").unwrap())
        .collect()
}

/// The model of each request the server received, in order.
fn models(requests: &[Received]) -> Vec<&str> {
    requests
        .iter()
        .map(|request| request.model.as_deref().unwrap_or("?"))
        .collect()
}

/// `delay` as tokio's timer waits it: to the next whole millisecond.
fn on_timer(delay: Duration) -> Duration {
    Duration::from_millis(delay.as_nanos().div_ceil(1_000_000) as u64)
}

/// How long after the previous request each request arrived.
fn gaps(requests: &[Received]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

fn answer(text: &str, model: &str) -> Answer {
    Answer {
        text: text.to_owned(),
        model: model.to_owned(),
    }
}

#[tokio::test] // real time works too
async fn a_healthy_server_answers_the_first_request() {
    let s = setup([Reply::ok("An agent acts.")]).await;
    let (result, served) = observe(s.client.chat("What is an AI agent?")).await;
    assert_eq!(result.unwrap(), answer("An agent acts.", PRIMARY));
    assert_eq!(served, None);
    assert_eq!(
        story(&s.recorder.take()),
        ["request gpt-primary", "answered gpt-primary"]
    );

    let requests = s.server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].model.as_deref(), Some(PRIMARY));
    assert_eq!(
        requests[0].messages,
        [
            Message {
                role: "system".into(),
                content: SYSTEM_PROMPT.into()
            },
            Message {
                role: "user".into(),
                content: "What is an AI agent?".into()
            },
        ]
    );
    assert!(!requests[0].authorized, "no key, no Authorization header");
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rate_limits_wait_exactly_what_the_server_asks() {
    let s = setup([
        Reply::rate_limited(RetryAfterForm::Millis(1500)),
        Reply::rate_limited(RetryAfterForm::Seconds(2)),
        Reply::ok("fine"),
    ])
    .await;
    let started = Instant::now();
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(started.elapsed(), Duration::from_millis(3500));
    assert_eq!(result.unwrap(), answer("fine", PRIMARY));
    assert_eq!(served, None);
    assert_eq!(
        story(&s.recorder.take()),
        [
            "request gpt-primary",
            "failed: 429 Too Many Requests, retry after 2s", // 1.5 s, rounded for people
            "retry 1 after 1.5s",
            "request gpt-primary",
            "failed: 429 Too Many Requests, retry after 2s",
            "retry 2 after 2s",
            "request gpt-primary",
            "answered gpt-primary",
        ]
    );
    let requests = s.server.requests();
    assert_eq!(models(&requests), [PRIMARY; 3]);
    assert_eq!(
        gaps(&requests),
        [Duration::from_millis(1500), Duration::from_secs(2)]
    );
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_date_in_the_past_means_at_once() {
    let s = setup([
        Reply::rate_limited(RetryAfterForm::date_ago(Duration::from_secs(30))),
        Reply::ok("fine"),
    ])
    .await;
    let (result, _) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("fine", PRIMARY));
    let story = story(&s.recorder.take());
    assert_eq!(story[2], "retry 1 after 0ns");
    assert_eq!(gaps(&s.server.requests()), [Duration::ZERO]);
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_with_exponential_backoff() {
    let s = setup([Reply::status(503), Reply::Drop, Reply::ok("third time")]).await;
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("third time", PRIMARY));
    assert_eq!(served, None);
    let events = s.recorder.take();
    assert_eq!(
        story(&events),
        [
            "request gpt-primary",
            "failed: 503 Service Unavailable",
            "retry 1",
            "request gpt-primary",
            "failed: no reply",
            "retry 2",
            "request gpt-primary",
            "answered gpt-primary",
        ]
    );
    // Retry n waits `BASE * 2^(n-1)`, equal-jittered into its upper half.
    let delays = delays(&events);
    for (n, delay) in delays.iter().enumerate() {
        let full = timing::BASE * 2u32.pow(n as u32);
        assert!(
            *delay >= full / 2 && *delay <= full,
            "retry {}: {delay:?}",
            n + 1
        );
    }
    let requests = s.server.requests();
    assert_eq!(models(&requests), [PRIMARY; 3]);
    assert_eq!(
        gaps(&requests),
        delays.into_iter().map(on_timer).collect::<Vec<_>>()
    );
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_reply_that_is_not_a_chat_completion_is_asked_again() {
    let s = setup([
        Reply::Malformed,
        Reply::Body(r#"{"choices":[]}"#.into()),
        Reply::ok("well-formed"),
    ])
    .await;
    let (result, _) = observe(s.client.chat("Summarise deep learning.")).await;
    assert_eq!(result.unwrap(), answer("well-formed", PRIMARY));
    let story = story(&s.recorder.take());
    assert!(
        story[1].starts_with("failed: malformed reply: EOF while parsing"),
        "{story:?}"
    );
    assert_eq!(story[4], "failed: malformed reply: no message in the reply");
    assert_eq!(story[2], "retry 1");
    assert_eq!(story[5], "retry 2");
    assert_eq!(story.len(), 8);
    // A re-ask is the same question again.
    let requests = s.server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.messages == requests[0].messages));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_reply_times_out_and_is_asked_again() {
    let late = timing::ATTEMPT + Duration::from_secs(1);
    let s = setup([Reply::slow(late, Reply::ok("late")), Reply::ok("in time")]).await;
    let started = Instant::now();
    let (result, served) = observe(s.client.chat("q")).await;
    let took = started.elapsed();
    assert_eq!(result.unwrap(), answer("in time", PRIMARY));
    assert_eq!(served, None);
    let events = s.recorder.take();
    assert_eq!(
        story(&events),
        [
            "request gpt-primary",
            "timed out after 10s",
            "retry 1",
            "request gpt-primary",
            "answered gpt-primary",
        ]
    );
    let delay = delays(&events)[0];
    assert_eq!(
        gaps(&s.server.requests()),
        [timing::ATTEMPT + on_timer(delay)]
    );
    assert_eq!(took, timing::ATTEMPT + on_timer(delay));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_permanent_error_goes_straight_to_the_second_model() {
    let s = setup([Reply::status(400), Reply::ok("from the second model")]).await;
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("from the second model", SECOND));
    assert_eq!(
        served,
        Some(Served {
            by: "Client::second_model",
            level: 1
        })
    );
    assert_eq!(
        story(&s.recorder.take()),
        [
            "request gpt-primary",
            "failed: 400 Bad Request",
            "give up 1: error is not retryable",
            "fall back to Client::second_model (level 1)",
            "request gpt-second",
            "answered gpt-second",
            "served by Client::second_model at level 1",
        ]
    );
    assert_eq!(models(&s.server.requests()), [PRIMARY, SECOND]);
    // A bad request says nothing about the server's health: the breaker does not count it.
    assert_eq!(s.client.breaker.stats(), stats(1, 0, 0, 0));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_ends_the_retries_at_once() {
    // `Retry-After: 60` is more than the retry's `max` (8 s): the quota is spent.
    let s = setup([
        Reply::rate_limited(RetryAfterForm::Seconds(60)),
        Reply::ok("second model"),
    ])
    .await;
    let started = Instant::now();
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(started.elapsed(), Duration::ZERO);
    assert_eq!(result.unwrap(), answer("second model", SECOND));
    assert_eq!(served.unwrap().level, 1);
    assert_eq!(
        story(&s.recorder.take()),
        [
            "request gpt-primary",
            "failed: 429 Too Many Requests, retry after 60s",
            "give up 1: server delay exceeds max",
            "fall back to Client::second_model (level 1)",
            "request gpt-second",
            "answered gpt-second",
            "served by Client::second_model at level 1",
        ]
    );
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn when_both_models_keep_failing_the_canned_answer_serves_after_a_bounded_number_of_requests()
{
    let server = fault_server::start_with_default([], Reply::status(503)).await;
    let s = setup_with(server, None);
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer(CANNED_ANSWER, CANNED_MODEL));
    assert_eq!(
        served,
        Some(Served {
            by: "Client::canned_answer",
            level: 2
        })
    );
    let failed = "failed: 503 Service Unavailable";
    assert_eq!(
        story(&s.recorder.take()),
        [
            "request gpt-primary",
            failed,
            "retry 1",
            "request gpt-primary",
            failed,
            "retry 2",
            "request gpt-primary",
            failed,
            "give up 3: attempts exhausted",
            "fall back to Client::second_model (level 1)",
            "request gpt-second",
            failed,
            "retry 1",
            "request gpt-second",
            failed,
            "give up 2: attempts exhausted",
            "fall back to Client::canned_answer (level 2)",
            "served by Client::canned_answer at level 2",
        ]
    );
    // Three attempts of the first model, two of the second: nothing more.
    assert_eq!(
        models(&s.server.requests()),
        [PRIMARY, PRIMARY, PRIMARY, SECOND, SECOND]
    );
    // The breaker saw one outcome for the whole retry sequence.
    assert_eq!(s.client.breaker.stats(), stats(1, 0, 1, 0));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_server_that_is_down_gets_a_bounded_number_of_requests() {
    let server = fault_server::start_with_default([], Reply::Drop).await;
    let s = setup_with(server, None);
    let started = Instant::now();
    for _ in 0..10 {
        let (result, _) = observe(s.client.chat("q")).await;
        assert_eq!(result.unwrap().model, CANNED_MODEL);
    }
    // Three calls of 3 + 2 requests open the breaker; the next seven ask only the second
    // model, twice each (the 30 s of recovery have not passed: no probe).
    assert!(
        started.elapsed() < timing::RECOVERY,
        "{:?}",
        started.elapsed()
    );
    let requests = s.server.requests();
    assert_eq!(requests.len(), 3 * 5 + 7 * 2);
    assert_eq!(models(&requests[15..]), [SECOND; 14]);
    assert_eq!(s.client.breaker.state(), State::Open);
    assert_eq!(s.client.breaker.stats(), stats(10, 0, 3, 7));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_breaker_opens_after_three_failed_calls_and_a_probe_closes_it() {
    let spent = || Reply::rate_limited(RetryAfterForm::Seconds(60));
    let s = setup([
        spent(),
        Reply::ok("a"),
        spent(),
        Reply::ok("b"),
        spent(),
        Reply::ok("c"),
        Reply::ok("d"), // 4th call: only the second model is asked
        Reply::ok("e"), // after the recovery: the first model again
    ])
    .await;
    for (n, text) in ["a", "b", "c"].into_iter().enumerate() {
        let (result, served) = observe(s.client.chat("q")).await;
        assert_eq!(result.unwrap(), answer(text, SECOND));
        assert_eq!(served.unwrap().level, 1);
        let opened = n == 2;
        let state = if opened { State::Open } else { State::Closed };
        assert_eq!(s.client.breaker.state(), state, "after call {}", n + 1);
    }
    assert!(
        story(&s.recorder.take()).contains(&"breaker closed -> open".to_owned()),
        "the third failure opens it"
    );
    assert_eq!(s.client.breaker.stats(), stats(3, 0, 3, 0));

    // Open: the first model is not asked at all.
    let (result, _) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("d", SECOND));
    assert_eq!(
        story(&s.recorder.take()),
        [
            "breaker rejected the call (open)",
            "fall back to Client::second_model (level 1)",
            "request gpt-second",
            "answered gpt-second",
            "served by Client::second_model at level 1",
        ]
    );
    assert_eq!(s.client.breaker.stats(), stats(4, 0, 3, 1));

    // After the recovery, one probe; its success closes the breaker.
    tokio::time::sleep(timing::RECOVERY).await;
    let (result, served) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("e", PRIMARY));
    assert_eq!(served, None);
    assert_eq!(
        story(&s.recorder.take()),
        [
            "breaker open -> half-open",
            "request gpt-primary",
            "answered gpt-primary",
            "breaker half-open -> closed",
        ]
    );
    assert_eq!(s.client.breaker.state(), State::Closed);
    assert_eq!(s.client.breaker.stats(), stats(5, 1, 3, 1));
    assert_eq!(
        models(&s.server.requests()),
        [
            PRIMARY, SECOND, PRIMARY, SECOND, PRIMARY, SECOND, SECOND, PRIMARY
        ]
    );
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_api_key_is_sent_but_never_shown() {
    const KEY: &str = "sk-test-0123456789-SECRET";
    let server = fault_server::start([Reply::status(401), Reply::ok("hi")]).await;
    let s = setup_with(server, Some(KEY));
    let (result, _) = observe(s.client.chat("q")).await;
    assert_eq!(result.unwrap(), answer("hi", SECOND));
    let requests = s.server.requests();
    assert!(requests.iter().all(|r| r.authorized));

    let events = s.recorder.take();
    assert_eq!(events[1].field("error"), Some("401 Unauthorized"));
    assert!(!format!("{events:?}").contains("SECRET"));
    assert!(!format!("{:?}", ApiKey::new(KEY.into())).contains("SECRET"));
    assert!(ApiKey::new("  ".into()).is_none(), "a blank key is no key");
    s.server.shutdown().await;
}

#[tokio::test]
async fn base_urls_are_taken_with_or_without_v1_and_a_trailing_slash() {
    let server = fault_server::start([Reply::ok("a"), Reply::ok("b")]).await;
    for base in [
        format!("http://{}/v1/", server.addr),
        format!("http://{}", server.addr),
    ] {
        let client = Client::new(&base, None, PRIMARY, SECOND).unwrap();
        client.chat("q").await.unwrap();
    }
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/chat/completions", "/chat/completions"]);
    server.shutdown().await;
}
