//! Named policies from a file (feature `config`): the file's values over the literals,
//! reload changing the next calls, errors naming file, line and key, and the literals
//! (with a warning) when the file or the name is missing. Paused clock, exact instants.
#![cfg(feature = "config")]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::capture::{Record, warnings};
use common::{ApiError, secs};
use resilience::{circuit, named, retry, timeout};

/// The loaded file is process-wide: these tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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
            "unknown key `retyr`; expected one of: retry, circuit, timeout, rate_limit, bulkhead, hedge, stream",
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
