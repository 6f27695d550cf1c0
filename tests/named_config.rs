//! Named policies from a file (feature `config`): the file's values over the literals,
//! reload changing the next calls, errors naming file, line and key, and the literals
//! (with a warning) when the file or the name is missing. Paused clock, exact instants.
#![cfg(feature = "config")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ApiError, secs};
use resilience::{RateLimited, bulkhead, circuit, named, rate_limit, retry, timeout};

/// The loaded file is process-wide: these tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Warning messages (target `resilience`) emitted on this thread while alive.
fn warnings() -> (Arc<Mutex<Vec<String>>>, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::SubscriberExt;

    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            if *event.metadata().level() == tracing::Level::WARN
                && event.metadata().target() == "resilience"
            {
                let mut message = Message(String::new());
                event.record(&mut message);
                self.0.lock().unwrap().push(message.0);
            }
        }
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(seen.clone()));
    (seen, tracing::subscriber::set_default(subscriber))
}

/// When each call of `llm` started, in seconds after the first; `take` clears it.
struct Record(Mutex<Vec<tokio::time::Instant>>);

impl Record {
    fn hit(&self) {
        self.0.lock().unwrap().push(tokio::time::Instant::now());
    }

    fn take(&self) -> Vec<f64> {
        let at = std::mem::take(&mut *self.0.lock().unwrap());
        at.iter().map(|t| (*t - at[0]).as_secs_f64()).collect()
    }
}

static LLM: Record = Record(Mutex::new(Vec::new()));

#[retry(policy = "llm", attempts = 2, base = 1s, jitter = "none")]
async fn llm() -> Result<(), ApiError> {
    LLM.hit();
    Err(ApiError::Network)
}

#[tokio::test(start_paused = true)]
async fn the_file_overrides_the_literals_and_a_reload_changes_the_next_calls() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 1.0], "the literals: 2 attempts, 1s");

    // `attempts` and `base` from the file; `jitter` (not in the file) stays the literal's.
    named::load_str(
        "policies.toml",
        "[llm.retry]\nattempts = 4\nbase = \"250ms\"\n",
    )
    .unwrap();
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 0.25, 0.75, 1.75]);

    named::load_str(
        "policies.toml",
        "[llm.retry]\nattempts = 3\nbackoff = \"fixed\"\nbase = \"1.5s\"\n",
    )
    .unwrap();
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 1.5, 3.0]);
}

#[timeout(10s, policy = "llm")]
async fn answer() -> Result<u32, ApiError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(42)
}

#[tokio::test(start_paused = true)]
async fn a_named_timeout_takes_the_files_deadline() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "[llm.retry]\nattempts = 2\n").unwrap();
    assert_eq!(answer().await, Ok(42), "no [llm.timeout]: the literal 10s");
    named::load_str("policies.toml", "[llm.timeout]\nafter = \"500ms\"\n").unwrap();
    let start = tokio::time::Instant::now();
    assert!(matches!(answer().await, Err(ApiError::Timeout(_))));
    assert_eq!(start.elapsed(), secs(0.5));
}

#[tokio::test(start_paused = true)]
async fn a_missing_file_or_name_leaves_the_literals_with_a_warning() {
    let _turn = TURN.lock().await;
    let (seen, _guard) = warnings();
    let missing = std::env::temp_dir().join("resilience-no-such-file.toml");
    assert!(named::load(&missing).unwrap().names().next().is_none());
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 1.0]);

    named::load_str("policies.toml", "[other.retry]\nattempts = 9\n").unwrap();
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 1.0]);
    // Once per load, not per call.
    let _ = llm().await;
    LLM.take();

    // Retry's own "giving up" warnings aside: the file's, once per load and site.
    let seen: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("configuration"))
        .cloned()
        .collect();
    assert_eq!(
        seen,
        [
            // The load of the missing file, then the site's first call after it.
            "configuration file not found; the attributes' own settings apply",
            "the configuration file has no such policy; the attribute's own settings apply",
            // The load of a file without the name: one warning for two calls.
            "the configuration file has no such policy; the attribute's own settings apply",
        ]
    );
}

#[test]
fn errors_name_the_file_the_line_and_the_key() {
    let cases = [
        (
            "[llm.retry]\nattempts = 3\natempts = 4\n",
            3,
            "llm.retry.atempts",
            "unknown key `atempts`; expected one of: attempts, backoff, base, factor, max, jitter, max_elapsed",
        ),
        (
            "[llm.retry]\nbase = \"10 s\"\n",
            2,
            "llm.retry.base",
            "expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found \"10 s\"",
        ),
        (
            "[llm.retry]\nmax = 10\n",
            2,
            "llm.retry.max",
            "expected a duration string such as \"250ms\", found an integer",
        ),
        (
            "[llm.retry]\n\nattempts = \"3\"\n",
            3,
            "llm.retry.attempts",
            "expected a whole number, found a string",
        ),
        (
            "[llm.retry]\nattempts = 0\n",
            2,
            "llm.retry.attempts",
            "must be a whole number from 1 to 4294967295, found 0",
        ),
        (
            "[llm.retry]\njitter = \"some\"\n",
            2,
            "llm.retry.jitter",
            "expected one of \"none\", \"full\", \"equal\", \"decorrelated\", found \"some\"",
        ),
        (
            "[llm.retry]\nfactor = 0.5\n",
            2,
            "llm.retry.factor",
            "must be a finite number of at least 1.0",
        ),
        (
            "[llm.retyr]\nattempts = 3\n",
            1,
            "llm.retyr",
            "unknown key `retyr`; expected one of: retry, circuit, timeout, rate_limit, bulkhead",
        ),
        (
            "[llm.timeout]\nafter = true\n",
            2,
            "llm.timeout.after",
            "expected a duration string such as \"250ms\", found a boolean",
        ),
        ("llm = 3\n", 1, "llm", "expected a table, found an integer"),
        (
            "[llm.circuit]\nthreshold = 3\nrecovery = \"30\"\n",
            3,
            "llm.circuit.recovery",
            "expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found \"30\"",
        ),
        (
            "[llm.circuit]\nthreshhold = 3\n",
            2,
            "llm.circuit.threshhold",
            "unknown key `threshhold`; expected one of: threshold, recovery, recovery_max, success_threshold, probes",
        ),
        (
            "[llm.rate_limit]\nrequests = 2\nrequest = 3\n",
            3,
            "llm.rate_limit.request",
            "unknown key `request`; expected one of: requests, tokens, per, burst, max_wait",
        ),
        (
            "[llm.rate_limit]\nrequests = 2\nper = \"1 second\"\n",
            3,
            "llm.rate_limit.per",
            "expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found \"1 second\"",
        ),
        (
            "[llm.rate_limit]\nper = \"0s\"\n",
            2,
            "llm.rate_limit.per",
            "must not be zero",
        ),
        (
            "[llm.rate_limit]\nrequests = 0\n",
            2,
            "llm.rate_limit.requests",
            "must be a whole number from 1 to 18446744073709551615, found 0",
        ),
        (
            "[llm.rate_limit]\ntokens = 1.5\n",
            2,
            "llm.rate_limit.tokens",
            "expected a whole number, found a float",
        ),
        (
            "[llm.rate_limit]\nrequests = 2\nburst = 3\n",
            3,
            "llm.rate_limit.burst",
            "is the most requests let through at once, so it must be at most `requests` (2), found 3",
        ),
        (
            "[llm.rate_limit]\nmax_wait = 5\n",
            2,
            "llm.rate_limit.max_wait",
            "expected a duration string such as \"250ms\", found an integer",
        ),
    ];
    for (text, line, key, reason) in cases {
        let err = named::Policies::parse("conf/app.toml", text).unwrap_err();
        assert_eq!(
            (err.file(), err.line(), err.key(), err.reason()),
            ("conf/app.toml", line, key, reason),
            "{text}"
        );
        assert_eq!(
            err.to_string(),
            format!("conf/app.toml:{line}: `{key}`: {reason}")
        );
    }
    let syntax =
        named::Policies::parse("conf/app.toml", "[llm.retry]\nattempts = = 3\n").unwrap_err();
    assert_eq!((syntax.line(), syntax.key()), (2, ""));
}

#[tokio::test(start_paused = true)]
async fn a_file_with_an_error_changes_nothing() {
    let _turn = TURN.lock().await;
    named::load_str(
        "policies.toml",
        "[llm.retry]\nattempts = 3\nbase = \"100ms\"\n",
    )
    .unwrap();
    let err = named::load_str(
        "policies.toml",
        "[llm.retry]\nattempts = 5\nbase = \"fast\"\n",
    )
    .unwrap_err();
    assert_eq!((err.line(), err.key()), (3, "llm.retry.base"));
    let _ = llm().await;
    assert_eq!(LLM.take(), [0.0, 0.1, 0.3]);
}

static GUARDED: Mutex<u32> = Mutex::new(0);

#[circuit(policy = "llm", threshold = 2, recovery = 30s, name = "named_llm")]
async fn guarded() -> Result<(), ApiError> {
    *GUARDED.lock().unwrap() += 1;
    Err(ApiError::Network)
}

/// Calls `guarded` `n` times; how many reached the body.
async fn guarded_calls(n: u32) -> u32 {
    let before = *GUARDED.lock().unwrap();
    for _ in 0..n {
        let _ = guarded().await;
    }
    *GUARDED.lock().unwrap() - before
}

#[tokio::test(start_paused = true)]
async fn a_named_breaker_takes_the_files_settings_and_keeps_its_state_while_they_stay() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    // The literals: two failures open it, the next calls are rejected.
    assert_eq!(guarded_calls(5).await, 2);

    // The file's threshold: a new breaker, closed, opening after 4 failures.
    named::load_str(
        "policies.toml",
        "[llm.circuit]\nthreshold = 4\nrecovery = \"10s\"\n",
    )
    .unwrap();
    assert_eq!(guarded_calls(6).await, 4);
    // The same table again (a reload with other sections changed): the same breaker,
    // still open.
    named::load_str(
        "policies.toml",
        "[llm.circuit]\nthreshold = 4\nrecovery = \"10s\"\n[llm.timeout]\nafter = \"1s\"\n",
    )
    .unwrap();
    assert_eq!(guarded_calls(3).await, 0);
    // The file's recovery: a probe after 10s, not the literal 30s.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(guarded_calls(1).await, 1);
}

static LIMITED: Record = Record(Mutex::new(Vec::new()));

#[derive(Debug)]
struct Refused(#[allow(dead_code)] RateLimited);

impl From<RateLimited> for Refused {
    fn from(e: RateLimited) -> Self {
        Refused(e)
    }
}

#[rate_limit(policy = "llm", requests = 1, per = 1s, name = "named_limit")]
async fn limited() -> Result<(), Refused> {
    LIMITED.hit();
    Ok(())
}

/// Calls `limited` `n` times one after the other; when each reached the body.
async fn limited_calls(n: usize) -> Vec<f64> {
    for _ in 0..n {
        limited().await.unwrap();
    }
    LIMITED.take()
}

static SPARE: Record = Record(Mutex::new(Vec::new()));

/// `limited` again, for the other test: a limiter's instants belong to the clock of the
/// test that used it (each test runs on a paused clock of its own).
#[rate_limit(policy = "llm", requests = 1, per = 1s, name = "named_spare")]
async fn spare() -> Result<(), Refused> {
    SPARE.hit();
    Ok(())
}

async fn spare_calls(n: usize) -> Vec<f64> {
    for _ in 0..n {
        spare().await.unwrap();
    }
    SPARE.take()
}

#[tokio::test(start_paused = true)]
async fn a_named_limiter_takes_the_files_rates_and_keeps_its_state_while_they_stay() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    assert_eq!(
        limited_calls(3).await,
        [0.0, 1.0, 2.0],
        "the literals: 1 per second"
    );

    // The file's rates: a new, full limiter; two at once, then one every 500 ms.
    named::load_str(
        "policies.toml",
        "[llm.rate_limit]\nrequests = 2\nper = \"1s\"\n",
    )
    .unwrap();
    assert_eq!(limited_calls(3).await, [0.0, 0.0, 0.5]);

    // The same table again (other sections changed): the same limiter, still spent, so
    // the next call waits 500 ms where a new one would pass at once.
    let start = tokio::time::Instant::now();
    named::load_str(
        "policies.toml",
        "[llm.rate_limit]\nrequests = 2\nper = \"1s\"\n[llm.timeout]\nafter = \"1s\"\n",
    )
    .unwrap();
    limited().await.unwrap();
    assert_eq!(start.elapsed(), secs(0.5));
    LIMITED.take();

    // A changed table: the next calls get a new limiter, four at once, then every 250 ms.
    named::load_str(
        "policies.toml",
        "[llm.rate_limit]\nrequests = 4\nper = \"1s\"\n",
    )
    .unwrap();
    assert_eq!(limited_calls(5).await, [0.0, 0.0, 0.0, 0.0, 0.25]);

    // `burst` and `max_wait` from the file: one at once, and a call that would wait more
    // than 100 ms is refused at once.
    named::load_str(
        "policies.toml",
        "[llm.rate_limit]\nrequests = 4\nper = \"1s\"\nburst = 1\nmax_wait = \"100ms\"\n",
    )
    .unwrap();
    let start = tokio::time::Instant::now();
    limited().await.unwrap();
    let Refused(refused) = limited().await.unwrap_err();
    assert_eq!(
        (refused.retry_in(), start.elapsed()),
        (secs(0.25), secs(0.0))
    );
    LIMITED.take();
}

#[tokio::test(start_paused = true)]
async fn a_named_limiter_keeps_its_literals_without_the_name_or_when_the_file_does_not_fit() {
    let _turn = TURN.lock().await;
    let (seen, _guard) = warnings();
    named::load_str("policies.toml", "[other.rate_limit]\nrequests = 9\n").unwrap();
    assert_eq!(spare_calls(2).await, [0.0, 1.0]);

    // A burst above the literal `requests` the file leaves as it is: the literals apply.
    named::load_str("policies.toml", "[llm.rate_limit]\nburst = 5\n").unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(spare_calls(2).await, [0.0, 1.0]);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "the configuration file has no such policy; the attribute's own settings apply",
            "the configuration file's rate_limit settings do not fit this function's; its own apply",
        ]
    );
}

#[derive(Debug)]
struct Full(#[allow(dead_code)] resilience::BulkheadFull);

impl From<resilience::BulkheadFull> for Full {
    fn from(e: resilience::BulkheadFull) -> Self {
        Full(e)
    }
}

static POOLED: Record = Record(Mutex::new(Vec::new()));

#[bulkhead(policy = "llm", max = 1, name = "named_pool")]
async fn pooled() -> Result<(), Full> {
    POOLED.hit();
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

/// Three calls of `pooled` at once: which were let in, and when each started.
async fn three_pooled() -> ([bool; 3], Vec<f64>) {
    let (a, b, c) = tokio::join!(pooled(), pooled(), pooled());
    ([a.is_ok(), b.is_ok(), c.is_ok()], POOLED.take())
}

#[tokio::test(start_paused = true)]
async fn a_named_bulkhead_takes_the_files_bounds_and_keeps_its_permits_while_they_stay() {
    let _turn = TURN.lock().await;
    named::load_str("policies.toml", "").unwrap();
    assert_eq!(
        three_pooled().await,
        ([true, false, false], vec![0.0]),
        "the literals: one at once, no queue"
    );

    named::load_str("policies.toml", "[llm.bulkhead]\nmax = 2\n").unwrap();
    assert_eq!(three_pooled().await, ([true, true, false], vec![0.0, 0.0]));

    named::load_str("policies.toml", "[llm.bulkhead]\nmax = 2\nqueue = 1\n").unwrap();
    assert_eq!(
        three_pooled().await,
        ([true, true, true], vec![0.0, 0.0, 1.0])
    );

    // A call holds a permit across a reload that leaves the table as it was: the same
    // bulkhead, so of three more calls one runs, one queues and one is refused.
    let held = tokio::spawn(pooled());
    tokio::task::yield_now().await;
    named::load_str(
        "policies.toml",
        "[llm.bulkhead]\nmax = 2\nqueue = 1\n[llm.timeout]\nafter = \"1s\"\n",
    )
    .unwrap();
    let (oks, started) = three_pooled().await;
    assert!(held.await.unwrap().is_ok());
    assert_eq!(oks, [true, true, false]);
    assert_eq!(
        started,
        [0.0, 0.0, 1.0],
        "the held call, the one let in, then the queued one"
    );

    // The file's `max_wait`: the queued call gives up after 250 ms.
    named::load_str(
        "policies.toml",
        "[llm.bulkhead]\nmax = 1\nqueue = 1\nmax_wait = \"250ms\"\n",
    )
    .unwrap();
    let start = tokio::time::Instant::now();
    let (first, second) = tokio::join!(pooled(), async {
        let refused = pooled().await;
        (refused.is_err(), start.elapsed())
    });
    assert!(first.is_ok());
    assert_eq!(second, (true, secs(0.25)));
    POOLED.take();
}

#[test]
fn bulkhead_tables_are_checked_with_their_lines() {
    let cases = [
        (
            "[llm.bulkhead]\nmax = 0\n",
            2,
            "llm.bulkhead.max",
            "must be a whole number from 1 to 4294967295, found 0",
        ),
        (
            "[llm.bulkhead]\nmax = 2\nqueue = -1\n",
            3,
            "llm.bulkhead.queue",
            "must be a whole number from 0 to 4294967295, found -1",
        ),
        (
            "[llm.bulkhead]\nmax_wait = \"soon\"\n",
            2,
            "llm.bulkhead.max_wait",
            "expected a duration such as \"250ms\", \"10s\", \"1.5s\", \"2m\", found \"soon\"",
        ),
        (
            "[llm.bulkhead]\nmax = 2\nconcurrency = 3\n",
            3,
            "llm.bulkhead.concurrency",
            "unknown key `concurrency`; expected one of: max, queue, max_wait",
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
    assert!(named::Policies::parse("conf/app.toml", "[llm.bulkhead]\nqueue = 0\n").is_ok());
}
