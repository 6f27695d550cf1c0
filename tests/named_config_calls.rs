//! Named policies from a file (feature `config`) for the patterns that time a call:
//! `#[hedge(policy)]` takes the file's `after` and `max`, `#[stream(policy)]` its
//! `first` and `idle`, from the next call on; without the name the literals apply, with
//! one warning per name and load however many calls name it. Paused clock, exact
//! instants.
#![cfg(feature = "config")]

mod common;

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use common::capture::{Record, warnings};
use common::secs;
use resilience::stream::Stream;
use resilience::{EmptyStream, TimedOut, fallback, hedge, named, stream};
use tokio::time::{Instant, Sleep};

/// The loaded file is process-wide: these tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[derive(Debug, Clone, PartialEq)]
enum Failed {
    /// A deadline, and how long it was.
    TimedOut(Duration),
    Empty,
}

impl From<TimedOut> for Failed {
    fn from(e: TimedOut) -> Self {
        Failed::TimedOut(e.after())
    }
}

impl From<EmptyStream> for Failed {
    fn from(_: EmptyStream) -> Self {
        Failed::Empty
    }
}

static COPIES: Record = Record(Mutex::new(Vec::new()));

/// Every copy takes 10 s to answer, so a hedge starts all it may.
#[hedge(policy = "calls", after = 1s)]
async fn slow() -> Result<u32, Failed> {
    COPIES.hit();
    tokio::time::sleep(Duration::from_secs(10)).await;
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn a_named_hedge_takes_the_files_after_and_max_from_the_next_call() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    assert_eq!(slow().await, Ok(1));
    assert_eq!(
        COPIES.take(),
        [0.0, 1.0],
        "the literals: one copy after 1 s"
    );

    named::load_str(
        "policies.toml",
        "[calls.hedge]\nafter = \"200ms\"\nmax = 3\n",
    )
    .unwrap();
    let start = Instant::now();
    assert_eq!(slow().await, Ok(1));
    assert_eq!(COPIES.take(), [0.0, 0.2, 0.4, 0.6]);
    assert_eq!(start.elapsed(), secs(10.0), "the first copy won");

    // Only `max` in the file: the literal `after` with it.
    named::load_str("policies.toml", "[calls.hedge]\nmax = 2\n").unwrap();
    assert_eq!(slow().await, Ok(1));
    assert_eq!(COPIES.take(), [0.0, 1.0, 2.0]);

    // The table gone: the literals again.
    named::load_str("policies.toml", "[calls.retry]\nattempts = 2\n").unwrap();
    assert_eq!(slow().await, Ok(1));
    assert_eq!(COPIES.take(), [0.0, 1.0]);
}

static REPLICAS: Mutex<Vec<(&'static str, Instant)>> = Mutex::new(Vec::new());

async fn answer_late(who: &'static str) -> Result<u32, Failed> {
    REPLICAS.lock().unwrap().push((who, Instant::now()));
    tokio::time::sleep(Duration::from_secs(10)).await;
    Ok(1)
}

#[hedge(policy = "replicas", after = 1s, agents = [replica_b])]
async fn primary() -> Result<u32, Failed> {
    answer_late("primary").await
}

async fn replica_b() -> Result<u32, Failed> {
    answer_late("replica_b").await
}

#[tokio::test(start_paused = true)]
async fn a_named_hedge_with_agents_keeps_one_copy_per_agent_and_says_why() {
    let _turn = TURN.lock().await;
    let (seen, _guard) = warnings();
    named::load_str(
        "policies.toml",
        "[replicas.hedge]\nafter = \"300ms\"\nmax = 4\n",
    )
    .unwrap();
    let start = Instant::now();
    assert_eq!(primary().await, Ok(1));
    let calls: Vec<(&str, f64)> = std::mem::take(&mut *REPLICAS.lock().unwrap())
        .into_iter()
        .map(|(who, at)| (who, (at - start).as_secs_f64()))
        .collect();
    assert_eq!(
        calls,
        [("primary", 0.0), ("replica_b", 0.3)],
        "the file's `after`; one agent, so one extra copy"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "the configuration file's hedge `max` is not this function's number of agents (one per extra call); the number of agents applies"
        ]
    );
}

/// Items of a stream, each this long after the one before; `None` never comes.
struct Paced {
    items: VecDeque<(f64, Option<&'static str>)>,
    sleep: Option<Pin<Box<Sleep>>>,
}

fn paced(items: &[(f64, Option<&'static str>)]) -> Paced {
    Paced {
        items: items.iter().copied().collect(),
        sleep: None,
    }
}

impl Stream for Paced {
    type Item = Result<&'static str, Failed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        use std::future::Future as _;
        let this = self.get_mut();
        let Some(&(after, item)) = this.items.front() else {
            return Poll::Ready(None);
        };
        let Some(item) = item else {
            return Poll::Pending;
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(secs(after))));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        this.items.pop_front();
        Poll::Ready(Some(Ok(item)))
    }
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// Connects in 3 s, then a token at once, another 5 s later, then nothing.
#[stream(policy = "chat", first = 10s)]
async fn chat() -> Result<impl Stream<Item = Result<&'static str, Failed>>, Failed> {
    tokio::time::sleep(Duration::from_secs(3)).await;
    Ok(paced(&[
        (0.0, Some("Hello")),
        (5.0, Some(" world")),
        (0.0, None),
    ]))
}

/// What `chat` gave: each item (or the first failure) and when it came.
async fn read_chat() -> Vec<(Result<&'static str, Failed>, f64)> {
    let start = Instant::now();
    let at = |start: Instant| (Instant::now() - start).as_secs_f64();
    let mut stream = match chat().await {
        Ok(stream) => stream,
        Err(e) => return vec![(Err(e), at(start))],
    };
    let mut items = Vec::new();
    // The last item stalls for ever: bounded by the idle deadline, or cut off here.
    while let Ok(Some(item)) = tokio::time::timeout(secs(60.0), next(&mut stream)).await {
        items.push((item, at(start)));
    }
    items
}

#[tokio::test(start_paused = true)]
async fn a_named_stream_takes_the_files_deadlines_from_the_next_call() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    assert_eq!(
        read_chat().await,
        [(Ok("Hello"), 3.0), (Ok(" world"), 8.0)],
        "the literals: 10 s to the first token, no idle deadline"
    );

    named::load_str("policies.toml", "[chat.stream]\nfirst = \"2s\"\n").unwrap();
    assert_eq!(
        read_chat().await,
        [(Err(Failed::TimedOut(secs(2.0))), 2.0)],
        "the file's `first`: the connection takes longer"
    );

    named::load_str("policies.toml", "[chat.stream]\nidle = \"1s\"\n").unwrap();
    assert_eq!(
        read_chat().await,
        [(Ok("Hello"), 3.0), (Err(Failed::TimedOut(secs(1.0))), 4.0)],
        "the file's `idle` with the literal `first`"
    );
}

static SERVED: Record = Record(Mutex::new(Vec::new()));

#[fallback(agents = [backup_stream])]
#[stream(policy = "unnamed_stream", first = 1s)]
async fn stalled() -> Result<impl Stream<Item = Result<&'static str, Failed>>, Failed> {
    SERVED.hit();
    Ok(paced(&[(0.0, None)]))
}

async fn backup_stream() -> Result<impl Stream<Item = Result<&'static str, Failed>>, Failed> {
    SERVED.hit();
    Ok(paced(&[(0.5, Some("backup"))]))
}

#[tokio::test(start_paused = true)]
async fn a_missing_name_is_said_once_per_load_for_the_body_and_its_agents() {
    let _turn = TURN.lock().await;
    let (seen, _guard) = warnings();
    named::load_str("policies.toml", "[calls.hedge]\nmax = 2\n").unwrap();
    for _ in 0..2 {
        let mut stream = stalled().await.unwrap();
        assert_eq!(next(&mut stream).await, Some(Ok("backup")));
    }
    assert_eq!(
        SERVED.take(),
        [0.0, 1.0, 1.5, 2.5],
        "the literal `first`: the body gives up at 1 s for its agent, whose token comes at 1.5 s, when the second call starts"
    );
    let seen: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("configuration"))
        .cloned()
        .collect();
    assert_eq!(
        seen,
        ["the configuration file has no such policy; the attribute's own settings apply"],
        "two sites (the body and the agent), two calls: one warning"
    );
}

#[test]
fn errors_in_the_hedge_and_stream_tables_name_the_line_and_the_key() {
    let cases = [
        (
            "[llm.hedge]\nafter = \"1s\"\nmax = 65\n",
            3,
            "llm.hedge.max",
            "is the most extra calls, at most 64, found 65",
        ),
        (
            "[llm.hedge]\nmax = 0\n",
            2,
            "llm.hedge.max",
            "must be a whole number from 1 to 4294967295, found 0",
        ),
        (
            "[llm.hedge]\ndelay = \"1s\"\n",
            2,
            "llm.hedge.delay",
            "unknown key `delay`; expected one of: after, max",
        ),
        (
            "[llm.stream]\nfirst = \"0s\"\n",
            2,
            "llm.stream.first",
            "must not be zero: a deadline that has already passed would fail every call",
        ),
        (
            "[llm.stream]\nfirst = \"5s\"\nidle = 30\n",
            3,
            "llm.stream.idle",
            "expected a duration string such as \"250ms\", found an integer",
        ),
        (
            "[llm.stream]\nfrist = \"5s\"\n",
            2,
            "llm.stream.frist",
            "unknown key `frist`; expected one of: first, idle",
        ),
    ];
    for (text, line, key, reason) in cases {
        let err = named::Policies::parse("conf/app.toml", text).unwrap_err();
        assert_eq!(
            (err.line(), err.key(), err.reason()),
            (line, key, reason),
            "{text}"
        );
    }
    assert!(named::Policies::parse("conf/app.toml", "[llm.hedge]\nafter = \"0s\"\n").is_ok());
}
