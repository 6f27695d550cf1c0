//! `#[stream]` and `StreamLayer` side by side: the same scripted streaming backend,
//! retried up to its first item and never after, through the attributes and through
//! `RetryLayer` + `StreamLayer` built from the same settings. The items read, when each
//! came, and when each request was made must be equal, on tokio's paused clock.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use resilience::stream::{EmptyStream, Stream, StreamPolicy};
use resilience::tower::{RetryLayer, StreamLayer};
use resilience::{
    ConfigError, TimedOut,
    backoff::{Backoff, Jitter},
    retry,
    retry::RetryPolicy,
    stream,
};
use tokio::time::{Instant, Sleep};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

#[derive(Clone, Debug, PartialEq)]
enum ApiError {
    Overloaded,
    Cut,
    TimedOut,
    Empty,
}

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::TimedOut
    }
}
impl From<EmptyStream> for ApiError {
    fn from(_: EmptyStream) -> Self {
        ApiError::Empty
    }
}

/// One event of a response, this many milliseconds after the one before.
#[derive(Clone, Copy)]
enum Event {
    Token(u64, &'static str),
    /// An error item (an `overloaded_error` event).
    Error(u64),
    /// The connection is cut: one error item, then the end.
    Cut(u64),
    /// Nothing more, ever.
    Stall,
}

/// A response's events, timed on tokio's clock.
struct Events {
    events: VecDeque<Event>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Stream for Events {
    type Item = Result<&'static str, ApiError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let ms = match this.events.front() {
            None => return Poll::Ready(None),
            Some(Event::Stall) => return Poll::Pending,
            Some(Event::Token(ms, _) | Event::Error(ms) | Event::Cut(ms)) => *ms,
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(ms))));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        Poll::Ready(match this.events.pop_front() {
            Some(Event::Token(_, text)) => Some(Ok(text)),
            Some(Event::Error(_)) => Some(Err(ApiError::Overloaded)),
            Some(Event::Cut(_)) => {
                this.events.clear();
                Some(Err(ApiError::Cut))
            }
            _ => unreachable!("the front event was timed"),
        })
    }
}

/// A scripted backend: one response per request, in order; when each request came.
#[derive(Clone)]
struct Script {
    start: Instant,
    responses: Arc<Mutex<VecDeque<Vec<Event>>>>,
    calls: Arc<Mutex<Vec<u64>>>,
}

impl Script {
    fn new(responses: &[&[Event]]) -> Self {
        Script {
            start: Instant::now(),
            responses: Arc::new(Mutex::new(responses.iter().map(|r| r.to_vec()).collect())),
            calls: Arc::default(),
        }
    }

    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Opens a response: 50 ms to connect, then its events.
    async fn open(&self) -> Result<Events, ApiError> {
        self.calls.lock().unwrap().push(self.ms());
        let events = self
            .responses
            .lock()
            .unwrap()
            .pop_front()
            .expect("scripted");
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Events {
            events: events.into(),
            sleep: None,
        })
    }
}

/// What one call saw: each item (or the call's error) with its instant, and the
/// backend's request instants.
#[derive(Debug, PartialEq)]
struct Run {
    items: Vec<(u64, Result<&'static str, ApiError>)>,
    calls: Vec<u64>,
}

async fn read<S: Stream<Item = Result<&'static str, ApiError>> + Unpin>(
    script: &Script,
    answer: Result<S, ApiError>,
) -> Run {
    let mut items = Vec::new();
    match answer {
        Err(e) => items.push((script.ms(), Err(e))),
        Ok(mut stream) => {
            while let Some(item) =
                std::future::poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await
            {
                items.push((script.ms(), item));
            }
        }
    }
    Run {
        items,
        calls: script.calls.lock().unwrap().clone(),
    }
}

static SCRIPT: LazyLock<Mutex<Option<Script>>> = LazyLock::new(Mutex::default);

/// `chat` reads its backend from `SCRIPT`: the tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[retry(attempts = 4, base = 1s, backoff = "fixed", jitter = "none")]
#[stream(first = 2s, idle = 1s)]
async fn chat() -> Result<impl Stream<Item = Result<&'static str, ApiError>>, ApiError> {
    let script = SCRIPT.lock().unwrap().clone().unwrap();
    script.open().await
}

const FIXED_1S: Backoff = ConfigError::unwrap_const(
    Backoff::fixed()
        .base(Duration::from_secs(1))
        .jitter(Jitter::None)
        .build(),
);

static CHAT: StreamPolicy = ConfigError::unwrap_const(
    StreamPolicy::builder()
        .name("tower_stream::chat")
        .first(Duration::from_secs(2))
        .idle(Duration::from_secs(1))
        .build(),
);

async fn both(responses: &[&[Event]], expected: Run) {
    let _turn = TURN.lock().await;
    let script = Script::new(responses);
    *SCRIPT.lock().unwrap() = Some(script.clone());
    let by_attribute = read(&script, chat().await).await;

    let script = Script::new(responses);
    let backend = script.clone();
    let policy = RetryPolicy::builder()
        .attempts(4)
        .backoff(FIXED_1S)
        .build()
        .unwrap();
    let mut service = ServiceBuilder::new()
        .layer(RetryLayer::new(policy))
        .layer(StreamLayer::new(&CHAT))
        .service(service_fn(move |_: ()| {
            let backend = backend.clone();
            async move { backend.open().await }
        }));
    let answer = match service.ready().await {
        Ok(ready) => ready.call(()).await,
        Err(e) => Err(e),
    };
    let by_layer = read(&script, answer).await;
    assert_eq!(by_attribute, expected, "attribute");
    assert_eq!(by_layer, expected, "layer");
}

#[tokio::test(start_paused = true)]
async fn retried_until_the_first_token_and_never_after_it() {
    use Event::*;
    // An error event first (fails at 150), then a stream that opens and stalls (fails
    // at `first`, 2 s after its start at 1150), then tokens, then a cut: the cut reaches
    // the reader as the stream's last item and nothing is retried after the first token.
    let responses: &[&[Event]] = &[
        &[Error(100)],
        &[Stall],
        &[Token(100, "Hel"), Token(100, "lo"), Cut(100)],
    ];
    let expected = Run {
        items: vec![
            (4300, Ok("Hel")),
            (4400, Ok("lo")),
            (4500, Err(ApiError::Cut)),
        ],
        calls: vec![0, 1150, 4150],
    };
    both(responses, expected).await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_stream_ends_with_timed_out_and_an_empty_one_is_retried() {
    use Event::*;
    let responses: &[&[Event]] = &[&[], &[Token(0, "a"), Token(1500, "late")]];
    let expected = Run {
        items: vec![(1100, Ok("a")), (2100, Err(ApiError::TimedOut))],
        calls: vec![0, 1050],
    };
    both(responses, expected).await;
}
