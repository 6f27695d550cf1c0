//! `Client::chat_stream` against the fault server's streamed replies, over loopback, on
//! tokio's paused clock (see tests/openai_chat.rs for why that is exact): which requests
//! reached the server and when, which tokens the caller read, and that after the first
//! token nothing is asked again.
//!
//! Bounded: each test scripts at most four replies, and the client makes at most three
//! attempts and two fallbacks per call.

// Streamed and whole answers are tested in separate files, each using part of the client.
#[allow(dead_code)]
#[path = "../src/client.rs"]
mod client;
#[path = "../src/events.rs"]
mod events;
#[path = "../src/fault_server.rs"]
mod fault_server;

use std::time::Duration;

use client::{CANNED_ANSWER, ChatError, Client, timing};
use events::Recorder;
use fault_server::{FaultServer, Received, Reply, RetryAfterForm, Sse};
use futures_util::StreamExt;
use resilience::fallback::observe;
use resilience::{State, Stats};
use tokio::time::Instant;
use tracing::subscriber::DefaultGuard;

const PRIMARY: &str = "gpt-primary";
const SECOND: &str = "gpt-second";

struct Setup {
    server: FaultServer,
    client: Client,
    recorder: Recorder,
    _recording: DefaultGuard,
}

async fn setup(script: impl IntoIterator<Item = Reply>) -> Setup {
    let server = fault_server::start(script).await;
    let recorder = Recorder::default();
    let recording = tracing::subscriber::set_default(recorder.clone());
    let client = Client::new(&server.base_url(), None, PRIMARY, SECOND).unwrap();
    Setup {
        server,
        client,
        recorder,
        _recording: recording,
    }
}

/// Every item of the stream: the tokens, then the error that ended it, if any.
async fn read(
    mut tokens: impl futures_util::Stream<Item = Result<String, ChatError>> + Unpin,
) -> (String, Option<ChatError>) {
    let mut text = String::new();
    while let Some(item) = tokens.next().await {
        match item {
            Ok(token) => text.push_str(&token),
            Err(error) => {
                assert!(
                    tokens.next().await.is_none(),
                    "an error item ends the stream"
                );
                return (text, Some(error));
            }
        }
    }
    (text, None)
}

fn models(requests: &[Received]) -> Vec<&str> {
    requests
        .iter()
        .map(|request| request.model.as_deref().unwrap_or("?"))
        .collect()
}

fn gaps(requests: &[Received]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// The delays of the retries scheduled, in order.
fn delays(recorder: &Recorder) -> Vec<Duration> {
    recorder
        .take()
        .iter()
        .filter(|event| event.message == "retry scheduled")
        .map(|event| event.duration("delay").unwrap())
        .collect()
}

/// `delay` as tokio's timer waits it: to the next whole millisecond.
fn on_timer(delay: Duration) -> Duration {
    Duration::from_millis(delay.as_nanos().div_ceil(1_000_000) as u64)
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

#[tokio::test(start_paused = true)]
async fn a_429_before_the_stream_is_waited_out_as_the_server_asks() {
    let s = setup([
        Reply::rate_limited(RetryAfterForm::Millis(300)),
        Reply::Stream(Sse::chunks(40, &["Hel", "lo", "!"])),
    ])
    .await;
    let start = Instant::now();
    let (opened, served) = observe(s.client.chat_stream("hi")).await;
    assert!(served.is_none());
    assert_eq!(start.elapsed(), ms(340), "answered at the first token");
    let (text, ended) = read(opened.unwrap()).await;
    assert_eq!((text.as_str(), ended.is_none()), ("Hello!", true));
    let requests = s.server.requests();
    assert_eq!(models(&requests), [PRIMARY, PRIMARY]);
    assert_eq!(gaps(&requests), [ms(300)]);
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stream_silent_before_its_first_token_is_asked_again() {
    let s = setup([
        Reply::Stream(vec![Sse::Stall]),
        Reply::Stream(Sse::chunks(40, &["a", "b"])),
    ])
    .await;
    let (text, ended) = read(s.client.chat_stream("hi").await.unwrap()).await;
    assert_eq!((text.as_str(), ended.is_none()), ("ab", true));
    let requests = s.server.requests();
    assert_eq!(models(&requests), [PRIMARY, PRIMARY]);
    let delay = delays(&s.recorder);
    assert_eq!(delay.len(), 1);
    assert_eq!(gaps(&requests), [timing::FIRST_TOKEN + on_timer(delay[0])]);
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn error_events_first_fall_back_to_the_second_model() {
    let overloaded = || Reply::Stream(vec![Sse::Error { after: ms(50) }]);
    let s = setup([
        overloaded(),
        overloaded(),
        overloaded(),
        Reply::Stream(Sse::chunks(40, &["from ", "the second"])),
    ])
    .await;
    let (opened, served) = observe(s.client.chat_stream("hi")).await;
    let served = served.expect("a fallback served");
    assert_eq!(
        (served.by, served.level),
        ("Client::second_model_stream", 1)
    );
    let (text, ended) = read(opened.unwrap()).await;
    assert_eq!((text.as_str(), ended.is_none()), ("from the second", true));
    assert_eq!(
        models(&s.server.requests()),
        [PRIMARY, PRIMARY, PRIMARY, SECOND]
    );
    // The breaker saw one failed call (the retries are below it).
    let stats = s.client.breaker.stats();
    assert_eq!((stats.calls, stats.failures), (1, 1));
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_stall_after_the_first_tokens_ends_the_stream_and_is_not_asked_again() {
    let mut events = Sse::chunks(40, &["A dead", "line "]);
    events.push(Sse::Stall);
    let s = setup([Reply::Stream(events)]).await;
    let start = Instant::now();
    let (text, ended) = read(s.client.chat_stream("hi").await.unwrap()).await;
    assert_eq!(text, "A deadline ", "no token lost or repeated");
    let Some(ChatError::TimedOut(idle)) = ended else {
        panic!("expected the idle deadline, got {ended:?}");
    };
    assert_eq!(idle.after(), timing::IDLE);
    assert_eq!(start.elapsed(), ms(80) + timing::IDLE);
    assert_eq!(models(&s.server.requests()), [PRIMARY]);
    assert_eq!(
        s.client.breaker.stats(),
        Stats {
            calls: 1,
            successes: 1,
            failures: 0,
            rejected: 0
        }
    );
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_cut_after_the_first_tokens_is_an_error_item_and_not_asked_again() {
    let mut events = Sse::chunks(40, &["It stops ", "calling "]);
    events.push(Sse::Cut { after: ms(40) });
    let s = setup([Reply::Stream(events)]).await;
    let start = Instant::now();
    let (text, ended) = read(s.client.chat_stream("hi").await.unwrap()).await;
    assert_eq!(text, "It stops calling ");
    assert!(matches!(ended, Some(ChatError::Transport(_))), "{ended:?}");
    assert_eq!(start.elapsed(), ms(120));
    assert_eq!(models(&s.server.requests()), [PRIMARY]);
    assert_eq!(s.client.breaker.state(), State::Closed);
    s.server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn when_both_models_fail_the_canned_answer_streams() {
    let s = setup([
        Reply::status(503),
        Reply::status(503),
        Reply::status(503),
        Reply::Stream(vec![]), // the second model: [DONE] with no token
    ])
    .await;
    let (opened, served) = observe(s.client.chat_stream("hi")).await;
    assert_eq!(served.unwrap().level, 2);
    let (text, ended) = read(opened.unwrap()).await;
    assert_eq!((text.as_str(), ended.is_none()), (CANNED_ANSWER, true));
    assert_eq!(
        models(&s.server.requests()),
        [PRIMARY, PRIMARY, PRIMARY, SECOND]
    );
    s.server.shutdown().await;
}
