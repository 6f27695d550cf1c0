//! `#[stream]`: retried, broken, limited and fallen back from until the first item,
//! never after it; exact instants on tokio's paused clock, every request the scripted
//! server received, every token the caller read.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use resilience::stream::{Stream, StreamPolicy};
use resilience::{
    Bulkhead, BulkheadFull, CircuitBreaker, CircuitOpen, ConfigError, EmptyStream, State, TimedOut,
    bulkhead, circuit, fallback, hedge, retry, stream, timeout,
};
use tokio::time::{Instant, Sleep};

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    RateLimited { retry_after: Duration },
    Overloaded,
    Cut,
    Timeout(Duration),
    Empty,
    Open,
    Full,
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
impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError::Full
    }
}

fn retry_after(e: &ApiError) -> Option<Duration> {
    match e {
        ApiError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    }
}

type Item = Result<String, ApiError>;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// What the server does with one request.
enum Reply {
    /// `429` with `Retry-After`, before any stream.
    TooMany(Duration),
    /// `200`, then these events.
    Events(Vec<Event>),
}

enum Event {
    /// A chunk this long after the previous event.
    Chunk(f64, &'static str),
    /// An error event (`overloaded_error`) this long after the previous event.
    Error(f64),
    /// The connection is cut this long after the previous event.
    Cut(f64),
    /// Nothing more, ever.
    Stall,
}

/// A scripted server: one reply per request, in order; records when each arrived.
struct Server {
    start: Instant,
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<(&'static str, Duration)>>,
    breaker: CircuitBreaker,
    bulkhead: Bulkhead,
}

impl Server {
    fn new(replies: Vec<Reply>) -> Self {
        Server {
            start: Instant::now(),
            replies: Mutex::new(replies.into()),
            requests: Mutex::new(Vec::new()),
            breaker: CircuitBreaker::builder()
                .name("attr_stream")
                .threshold(2)
                .recovery(Duration::from_secs(30))
                .success_threshold(1)
                .build()
                .unwrap(),
            bulkhead: Bulkhead::new(ConfigError::unwrap_const(
                Bulkhead::builder().max(1).settings(),
            )),
        }
    }

    fn open(&self, who: &'static str) -> Result<Events, ApiError> {
        self.requests
            .lock()
            .unwrap()
            .push((who, self.start.elapsed()));
        match self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .expect("an unscripted request")
        {
            Reply::TooMany(retry_after) => Err(ApiError::RateLimited { retry_after }),
            Reply::Events(events) => Ok(Events {
                events: events.into(),
                sleep: None,
            }),
        }
    }

    fn requests(&self) -> Vec<(&'static str, f64)> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .map(|(who, at)| (*who, at.as_secs_f64()))
            .collect()
    }
}

/// The events of one response, on tokio's clock.
struct Events {
    events: VecDeque<Event>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Stream for Events {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        use std::future::Future as _;
        let this = self.get_mut();
        let delay = match this.events.front() {
            None => return Poll::Ready(None),
            Some(Event::Stall) => return Poll::Pending,
            Some(Event::Chunk(after, _) | Event::Error(after) | Event::Cut(after)) => *after,
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(secs(delay))));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        match this.events.pop_front() {
            Some(Event::Chunk(_, text)) => Poll::Ready(Some(Ok(text.to_owned()))),
            Some(Event::Error(_)) => Poll::Ready(Some(Err(ApiError::Overloaded))),
            Some(Event::Cut(_)) => {
                // What a client sees of a cut: one error, then the end.
                this.events.clear();
                Poll::Ready(Some(Err(ApiError::Cut)))
            }
            _ => unreachable!("the front event was timed"),
        }
    }
}

fn chunks(texts: &[&'static str]) -> Vec<Event> {
    texts.iter().map(|text| Event::Chunk(0.5, text)).collect()
}

/// The next item (what `StreamExt::next` does, without a dependency for it).
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

async fn read_all(mut stream: impl Stream<Item = Item> + Unpin) -> Vec<Item> {
    let mut items = Vec::new();
    while let Some(item) = next(&mut stream).await {
        items.push(item);
    }
    items
}

/// The items of a `Vec`, all ready: a stream of another type than [`Events`].
struct Ready(std::vec::IntoIter<Item>);

impl Stream for Ready {
    type Item = Item;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Item>> {
        Poll::Ready(self.0.next())
    }
}

fn ok(texts: &[&str]) -> Vec<Item> {
    texts.iter().map(|t| Ok((*t).to_owned())).collect()
}

#[tokio::test(start_paused = true)]
async fn a_429_before_the_stream_is_retried_after_the_servers_delay() {
    #[retry(attempts = 3, base = 1s, jitter = "none", retry_after = retry_after)]
    #[stream(first = 5s, idle = 2s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::TooMany(secs(2.0)),
        Reply::Events(chunks(&["Hel", "lo"])),
    ]);
    let answer = chat(&server).await.unwrap();
    assert_eq!(
        server.start.elapsed(),
        secs(2.5),
        "answered at the first chunk"
    );
    assert_eq!(read_all(answer).await, ok(&["Hel", "lo"]));
    assert_eq!(server.requests(), [("chat", 0.0), ("chat", 2.0)]);
}

#[tokio::test(start_paused = true)]
async fn a_stall_before_the_first_chunk_fires_first_and_is_retried() {
    #[retry(attempts = 3, base = 1s, jitter = "none")]
    #[stream(first = 5s, idle = 2s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(chunks(&["Hel", "lo", "!"])),
    ]);
    let answer = chat(&server).await.unwrap();
    assert_eq!(server.start.elapsed(), secs(6.5));
    assert_eq!(read_all(answer).await, ok(&["Hel", "lo", "!"]));
    assert_eq!(server.start.elapsed(), secs(7.5));
    assert_eq!(server.requests(), [("chat", 0.0), ("chat", 6.0)]);
}

#[tokio::test(start_paused = true)]
async fn an_existing_policy_gives_the_deadlines_whole() {
    static CHAT: StreamPolicy = ConfigError::unwrap_const(
        StreamPolicy::builder()
            .name("attr_stream::chat")
            .first(Duration::from_secs(3))
            .idle(Duration::from_secs(1))
            .build(),
    );
    #[retry(attempts = 2, base = 1s, jitter = "none")]
    #[stream(policy = &CHAT)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Chunk(0.5, "Hel"), Event::Chunk(1.5, "lo")]),
    ]);
    let answer = chat(&server).await.unwrap();
    assert_eq!(
        server.start.elapsed(),
        secs(4.5),
        "`first` (3 s), 1 s, a chunk"
    );
    assert_eq!(
        read_all(answer).await,
        [Ok("Hel".to_owned()), Err(ApiError::Timeout(secs(1.0)))],
        "`idle` (1 s) ends the stream"
    );
    assert_eq!(server.requests(), [("chat", 0.0), ("chat", 4.0)]);
}

#[tokio::test(start_paused = true)]
async fn an_error_as_first_event_falls_back_to_the_next_agent() {
    // The agent's stream is of another type: the caller gets one.
    async fn backup(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server
            .requests
            .lock()
            .unwrap()
            .push(("backup", server.start.elapsed()));
        Ok(Ready(ok(&["from", " backup"]).into_iter()))
    }
    #[fallback(agents = [backup])]
    #[stream(first = 5s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![Reply::Events(vec![
        Event::Error(0.5),
        Event::Chunk(0.1, "never"),
    ])]);
    let (answer, served) = resilience::fallback::observe(chat(&server)).await;
    assert_eq!(served.unwrap().by, "backup");
    assert_eq!(read_all(answer.unwrap()).await, ok(&["from", " backup"]));
    assert_eq!(server.requests(), [("chat", 0.0), ("backup", 0.5)]);
}

#[tokio::test(start_paused = true)]
async fn an_agent_whose_stream_is_empty_fails_like_the_body() {
    async fn empty(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server
            .requests
            .lock()
            .unwrap()
            .push(("empty", server.start.elapsed()));
        Ok(Ready(Vec::new().into_iter()))
    }
    async fn last(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("last")
    }
    #[fallback(agents = [empty, last])]
    #[stream(first = 5s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::TooMany(secs(1.0)),
        Reply::Events(vec![Event::Stall]),
    ]);
    let err = chat(&server).await.err().unwrap();
    assert_eq!(err, ApiError::Timeout(secs(5.0)));
    assert_eq!(server.start.elapsed(), secs(5.0));
    assert_eq!(
        server.requests(),
        [("chat", 0.0), ("empty", 0.0), ("last", 0.0)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_stall_mid_stream_ends_it_with_an_idle_error_and_no_retry() {
    #[retry(attempts = 3, base = 1s, jitter = "none")]
    #[stream(first = 5s, idle = 2s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![Reply::Events(vec![
        Event::Chunk(0.5, "Hel"),
        Event::Chunk(0.5, "lo"),
        Event::Stall,
    ])]);
    let answer = chat(&server).await.unwrap();
    let mut items = read_all(answer).await;
    assert_eq!(
        server.start.elapsed(),
        secs(3.0),
        "1s of chunks, then 2s of silence"
    );
    assert_eq!(items.pop(), Some(Err(ApiError::Timeout(secs(2.0)))));
    assert_eq!(items, ok(&["Hel", "lo"]), "no token lost or repeated");
    assert_eq!(server.requests(), [("chat", 0.0)]);
}

#[tokio::test(start_paused = true)]
async fn a_cut_mid_stream_is_the_callers_and_the_breaker_counted_a_success() {
    #[circuit(breaker = &server.breaker)]
    #[retry(attempts = 3, base = 1s, jitter = "none")]
    #[stream(first = 5s, idle = 2s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![Reply::Events(vec![
        Event::Chunk(0.5, "Hel"),
        Event::Cut(0.25),
        Event::Chunk(0.5, "never"),
    ])]);
    let items = read_all(chat(&server).await.unwrap()).await;
    assert_eq!(items, [Ok("Hel".to_owned()), Err(ApiError::Cut)]);
    assert_eq!(server.start.elapsed(), secs(0.75));
    assert_eq!(server.requests(), [("chat", 0.0)]);
    let stats = server.breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (1, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn inside_retry_timeout_and_circuit() {
    #[circuit(breaker = &server.breaker)]
    #[timeout(14s)]
    #[retry(attempts = 4, backoff = "fixed", base = 1s, jitter = "none")]
    #[stream(first = 5s, idle = 2s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    // Two stalls (5s each, 1s apart), then a stream: answered at 12.5s, within 14s.
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(chunks(&["a", "b"])),
    ]);
    let answer = chat(&server).await.unwrap();
    assert_eq!(server.start.elapsed(), secs(12.5));
    // The total deadline is over the call, not the stream: reading goes on past 14s.
    tokio::time::sleep(secs(5.0)).await;
    assert_eq!(read_all(answer).await, ok(&["a", "b"]));
    assert_eq!(
        server.requests(),
        [("chat", 0.0), ("chat", 6.0), ("chat", 12.0)]
    );
    let stats = server.breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (1, 1, 0));

    // Three stalls: the total deadline passes during the third wait for a first item,
    // twice; the breaker opens on the second failure.
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
    ]);
    assert_eq!(
        chat(&server).await.err(),
        Some(ApiError::Timeout(secs(14.0)))
    );
    assert_eq!(
        chat(&server).await.err(),
        Some(ApiError::Timeout(secs(14.0)))
    );
    assert_eq!(server.start.elapsed(), secs(28.0));
    assert_eq!(server.breaker.state(), State::Open);
    assert_eq!(chat(&server).await.err(), Some(ApiError::Open));
    let at: Vec<f64> = server.requests().into_iter().map(|(_, at)| at).collect();
    assert_eq!(at, [0.0, 6.0, 12.0, 14.0, 20.0, 26.0]);
}

#[tokio::test(start_paused = true)]
async fn a_hedge_races_copies_to_the_first_item() {
    #[hedge(after = 1s)]
    #[stream(first = 10s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(chunks(&["fast"])),
    ]);
    let answer = chat(&server).await.unwrap();
    assert_eq!(server.start.elapsed(), secs(1.5));
    assert_eq!(read_all(answer).await, ok(&["fast"]));
    assert_eq!(server.requests(), [("chat", 0.0), ("chat", 1.0)]);
}

#[tokio::test(start_paused = true)]
async fn a_call_dropped_before_its_first_item_gives_back_its_permit_and_probe() {
    #[circuit(breaker = &server.breaker)]
    #[bulkhead(bulkhead = &server.bulkhead)]
    #[stream(first = 5s)]
    async fn chat(server: &Server) -> Result<impl Stream<Item = Item>, ApiError> {
        server.open("chat")
    }
    let server = Server::new(vec![
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(vec![Event::Stall]),
        Reply::Events(chunks(&["ok"])),
    ]);
    // Two failures open the breaker; after its recovery, a probe waits for a first item
    // and is dropped by its caller at 2s.
    assert_eq!(
        chat(&server).await.err(),
        Some(ApiError::Timeout(secs(5.0)))
    );
    assert_eq!(
        chat(&server).await.err(),
        Some(ApiError::Timeout(secs(5.0)))
    );
    assert_eq!(server.breaker.state(), State::Open);
    tokio::time::sleep(secs(30.0)).await;
    let dropped = tokio::time::timeout(secs(2.0), chat(&server)).await;
    assert!(dropped.is_err());
    assert_eq!(server.bulkhead.in_use(), 0, "the bulkhead's permit is back");
    let stats = server.breaker.stats();
    assert_eq!(
        (stats.successes, stats.failures),
        (0, 2),
        "the dropped probe counts as neither"
    );
    // The next probe is admitted and closes the breaker.
    let answer = chat(&server).await.unwrap();
    assert_eq!(read_all(answer).await, ok(&["ok"]));
    assert_eq!(server.breaker.state(), State::Closed);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn alone_it_answers_at_the_first_item_and_may_consume_its_arguments() {
    #[stream(first = 2s)]
    async fn chat(server: &Server, prompt: String) -> Result<impl Stream<Item = Item>, ApiError> {
        drop(prompt); // one call: the body may consume its arguments
        server.open("chat")
    }
    let server = Server::new(vec![Reply::Events(vec![
        Event::Chunk(1.5, "a"),
        Event::Chunk(3.0, "b"),
    ])]);
    let answer = chat(&server, "hi".to_owned()).await.unwrap();
    assert_eq!(server.start.elapsed(), secs(1.5));
    assert_eq!(
        read_all(answer).await,
        ok(&["a", "b"]),
        "no idle bound without `idle`"
    );
    assert_eq!(server.start.elapsed(), secs(4.5));

    let server = Server::new(vec![Reply::Events(vec![Event::Chunk(2.5, "late")])]);
    assert_eq!(
        chat(&server, String::new()).await.err(),
        Some(ApiError::Timeout(secs(2.0)))
    );
    assert_eq!(server.start.elapsed(), secs(2.0));
}
