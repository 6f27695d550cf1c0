//! `cargo run --example agents`, checked: the example's own code (included by path) runs
//! its seven scenes for the default seed on tokio's paused clock, writing into a buffer
//! instead of stdout, and the lines that tell the story are asserted.

#[path = "../examples/agents/main.rs"]
#[allow(dead_code)]
mod agents;

use agents::console::{Console, RetryEvents};
use tracing_subscriber::layer::SubscriberExt;

/// The text of one scene: from the title `from` to the title `to`.
#[track_caller]
fn scene<'a>(text: &'a str, from: &str, to: &str) -> &'a str {
    let start = text.find(from).expect("the scene's title");
    let end = text[start..].find(to).expect("the next scene's title");
    &text[start..start + end]
}

/// Asserts that every needle occurs in `text`, in this order.
#[track_caller]
fn assert_in_order(text: &str, needles: &[&str]) {
    let mut rest = text;
    for needle in needles {
        match rest.find(needle) {
            Some(at) => rest = &rest[at + needle.len()..],
            None => panic!("{needle:?} missing (or out of order) in:\n{text}"),
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn the_default_seed_tells_the_whole_story() {
    let out = Console::capture();
    let subscriber = tracing_subscriber::registry().with(RetryEvents::new(out.clone()));
    let _events = tracing::subscriber::set_default(subscriber);

    let started = std::time::Instant::now();
    agents::run(agents::DEFAULT_SEED, &out).await;
    let text = out.text();

    // Not a terminal: no colours, no emoji.
    assert!(!text.contains('\x1b') && !text.contains('✅'), "{text}");

    // The seven scenes, in order.
    assert_in_order(
        &text,
        &[
            "1. Failure simulation",
            "2. Retry with exponential backoff",
            "3. Circuit breaker",
            "4. Combined: fallback → circuit → retry → timeout",
            "5. Fallback agents",
            "6. Hedged calls and a retry budget",
            "7. Quotas: a token budget paced over a burst of calls",
            "8. A failure-rate breaker",
        ],
    );

    // 1: ten calls, each one either ok or failed.
    let calls = text
        .lines()
        .filter(|l| l.contains("] ok ") || l.contains("] failed "))
        .count();
    assert_eq!(calls, 10, "{text}");

    // 2: exponential backoff (the exercise's 1s, 2s, success), Retry-After honoured,
    // malformed output not retried.
    let retry = scene(&text, "2. Retry", "3. Circuit");
    assert_in_order(
        retry,
        &[
            "Attempt 1: Failed (Network) → Retry in 1.0s",
            "Attempt 2: Failed (Network) → Retry in 2.0s",
            "Attempt 3: Success!",
        ],
    );
    assert!(
        retry.contains("→ Retry in 3.0s (the server's Retry-After)"),
        "{retry}"
    );
    assert!(
        retry.contains("Failed (Malformed) → not retried"),
        "{retry}"
    );

    // 3: the exercise's trace, then the breaker's counters.
    assert_in_order(
        scene(&text, "3. Circuit", "4. Combined"),
        &[
            "Attempt 1: FAILED (failures: 1/3)",
            "Attempt 2: FAILED (failures: 2/3)",
            "Attempt 3: FAILED (failures: 3/3)",
            ">>> Circuit OPEN — blocking requests",
            "Attempt 4: BLOCKED (circuit is open, retry in 29.0s)",
            "Attempt 5: BLOCKED (circuit is open, retry in 28.0s)",
            "[30 seconds later...]",
            ">>> Circuit HALF_OPEN — testing recovery",
            "Attempt 6: SUCCESS (successes: 1/2 in half-open)",
            "Attempt 7: SUCCESS (successes: 2/2 in half-open)",
            ">>> Circuit CLOSED — back to normal",
            "Breaker stats: state CLOSED, calls 7, successes 2, failures 3, rejected 2",
        ],
    );

    // 4: every call gets an answer: timeouts retried, the breaker opening after two
    // failed calls, the fallback covering while it is open, a probe closing it.
    assert_in_order(
        scene(&text, "4. Combined", "5. Fallback"),
        &[
            "Failed (Timeout(10s)) → Retry in 1.0s",
            "→ attempts exhausted",
            "Status: failed → fallback",
            "Failed (Malformed) → not retried",
            "Status: failed → fallback",
            ">>> Circuit OPEN — blocking requests",
            "Status: circuit_open → fallback",
            "Status: circuit_open → fallback",
            ">>> Circuit HALF_OPEN — testing recovery",
            "Status: ok",
            ">>> Circuit CLOSED — back to normal",
            "Breaker stats: state CLOSED, calls 8, successes 4, failures 2, rejected 2",
        ],
    );

    // 5: the exercise's fallback chain.
    assert_in_order(
        &text,
        &[
            "Query: \"Analyze customer sentiment\"",
            "Primary (GPT4Agent): FAILED (timeout after 10s)",
            "Fallback 1 (GPT35Agent): FAILED (rate limit: 429",
            "Fallback 2 (LocalLLM): SUCCESS",
            "Result: \"Sentiment: Positive (confidence: 0.78)\"",
            "Agent used: LocalLLM (fallback level 2)",
        ],
    );

    // 6: a hedge at exactly 2s wins against a stuck replica; in an outage the budget
    // lets 3 of 6 calls retry (2 + 20 % of 6).
    let hedge = scene(&text, "6. Hedged", "Budget:");
    assert_in_order(
        hedge,
        &[
            "Call 1",
            "\"Replica A: an agent perceives, decides and acts.\" (9 tokens) (call took 0.8s)",
            "Call 2",
            "No answer yet → call 2 (replica_b) too",
            "replica_b answered first → the other call is dropped",
            "\"Replica B: an agent perceives, decides and acts.\" (9 tokens) (call took 2.6s)",
            "Call 1",
            "Failed after 2 attempt(s)",
            "Call 2",
            "Failed after 2 attempt(s)",
            "Call 3",
            "→ not retried: the retry budget is spent",
            "Failed after 1 attempt(s)",
            "Call 4",
            "Failed after 1 attempt(s)",
            "Call 5",
            "Failed after 2 attempt(s)",
            "Call 6",
            "Failed after 1 attempt(s)",
        ],
    );
    assert!(
        text.contains(
            "Budget: 6 calls, 3 retries (2 + 20 % of 6 = 3.2 allowed; without a budget, 6)"
        ),
        "{text}"
    );
    // 8: every other call fails: the consecutive breaker never opens, the rate breaker
    // opens at the seventh call (4 of 7 failed; a success never trips it).
    let rate = &text[text.find("8. A failure-rate breaker").unwrap()..];
    assert_in_order(
        rate,
        &[
            "Call  1: threshold FAILED  · rate FAILED  (1 of 1 failed)",
            "Call  6: threshold ok      · rate ok      (3 of 6 failed)",
            "Call  7: threshold FAILED  · rate FAILED  (4 of 7 failed)",
            ">>> Rate circuit OPEN — 4 of the last 7 calls failed",
            "Call  8: threshold ok      · rate BLOCKED (4 of 7 failed)",
            "Call 10: threshold ok      · rate BLOCKED (4 of 7 failed)",
            "threshold = 3: state CLOSED, calls 10, successes 5, failures 5, rejected 0",
            "failure_rate = 0.5: state OPEN, calls 10, successes 3, failures 4, rejected 3",
        ],
    );

    // 7: two calls fit in the budget at once; each wave goes when the one before gives
    // its unused tokens back, 0.8s later (the call's latency), never waiting the 13.3s
    // it would take the budget to refill.
    let quotas = &text[text.find("7. Quotas").expect("scene 7")..];
    assert_in_order(
        quotas,
        &[
            "call 1 sent      (took its estimate of 407 tokens; 593 left)",
            "call 2 sent      (took its estimate of 407 tokens; 186 left)",
            "answered  (used 20 tokens: 387 given back",
            "call 3 sent",
            "call 4 sent",
            "call 5 sent",
            "call 6 sent",
            "Six calls in 2.4s: 4 waited for tokens given back, 0 refused.",
            "the third call alone would have waited 13.3s.",
        ],
    );
    let sent_at = |call: u32| {
        let line = quotas
            .lines()
            .find(|line| line.contains(&format!("call {call} sent")))
            .expect("a sent line");
        line.split_whitespace()
            .next()
            .expect("a timestamp")
            .to_owned()
    };
    // `mm:ss.s` in tenths of a second.
    let tenths = |stamp: String| {
        let (minutes, seconds) = stamp.split_once(':').expect("mm:ss.s");
        let (whole, tenth) = seconds.split_once('.').expect("ss.s");
        let parse = |n: &str| n.parse::<u32>().expect("digits");
        (parse(minutes) * 60 + parse(whole)) * 10 + parse(tenth)
    };
    let waves: Vec<u32> = (1..=6).map(sent_at).map(tenths).collect();
    let first = waves[0];
    assert_eq!(
        waves,
        [first, first, first + 8, first + 8, first + 16, first + 16],
        "three waves 0.8s apart"
    );

    // Minutes of simulated time, no real waiting.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn the_seed_comes_from_the_command_line() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        agents::parse_seed(args(&[]).into_iter()),
        Ok(agents::DEFAULT_SEED)
    );
    assert_eq!(
        agents::parse_seed(args(&["--seed", "7"]).into_iter()),
        Ok(7)
    );
    assert_eq!(agents::parse_seed(args(&["--seed=9"]).into_iter()), Ok(9));
    assert!(agents::parse_seed(args(&["--seed"]).into_iter()).is_err());
    assert!(agents::parse_seed(args(&["--seed", "x"]).into_iter()).is_err());
    assert!(agents::parse_seed(args(&["--verbose"]).into_iter()).is_err());
    assert_eq!(
        agents::parse_seed(args(&["--help"]).into_iter()),
        Err(String::new())
    );
}
