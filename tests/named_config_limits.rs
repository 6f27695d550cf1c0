//! Named policies from a file (feature `config`) for the patterns that admit calls:
//! `#[rate_limit(policy)]` and `#[bulkhead(policy)]` take the file's settings, keep their
//! limiter or bulkhead (and its state) while the table stays, get a new one when it
//! changes, and keep their literals (with a warning) without the name. Paused clock,
//! exact instants.
#![cfg(feature = "config")]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::capture::{Record, warnings};
use common::secs;
use resilience::{RateLimited, bulkhead, named, rate_limit};

/// The loaded file is process-wide: these tests take turns.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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

    // A tokens limit for a function that counts no tokens: applied, but it holds
    // nothing back (the new limiter's `requests` still paces), and a warning says so.
    named::load_str(
        "policies.toml",
        "[llm.rate_limit]\ntokens = 1\nper = \"2s\"\n",
    )
    .unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(spare_calls(3).await, [0.0, 2.0, 4.0]);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "the configuration file has no such policy; the attribute's own settings apply",
            "the configuration file's rate_limit settings do not fit this function's; its own apply",
            "the configuration file's `tokens` limit holds nothing back here: this function's `#[rate_limit]` counts no tokens (no `cost`, no `usage`)",
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

#[derive(Debug)]
struct Rejected;

impl From<resilience::CircuitOpen> for Rejected {
    fn from(_: resilience::CircuitOpen) -> Self {
        Rejected
    }
}
impl From<RateLimited> for Rejected {
    fn from(_: RateLimited) -> Self {
        Rejected
    }
}
impl From<resilience::BulkheadFull> for Rejected {
    fn from(_: resilience::BulkheadFull) -> Self {
        Rejected
    }
}

#[resilience::circuit(policy = "listed", threshold = 2, name = "listed_breaker")]
#[rate_limit(policy = "listed", requests = 10, per = 1s, name = "listed_limiter")]
#[bulkhead(policy = "listed", max = 3, name = "listed_pool")]
async fn listed() -> Result<(), Rejected> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn named_sites_are_listed_from_start_up_and_found_as_the_instance_their_calls_use() {
    use resilience::registry::{self, Value};

    let _turn = TURN.lock().await;
    // Before any call: listed, as the literal instances.
    let kinds = |name: &str| {
        registry::all()
            .iter()
            .filter(|p| p.name() == name)
            .map(|p| p.kind())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds("listed_breaker"), ["circuit"]);
    assert_eq!(kinds("listed_limiter"), ["rate_limit"]);
    assert_eq!(kinds("listed_pool"), ["bulkhead"]);
    assert_eq!(registry::circuit("listed_breaker").unwrap().threshold(), 2);
    assert_eq!(
        registry::rate_limiter("listed_limiter").unwrap().requests(),
        Some(10)
    );
    assert_eq!(registry::bulkhead("listed_pool").unwrap().max(), 3);

    // A file changes all three; the next call makes and uses them, and the registry
    // answers those (their status too).
    named::load_str(
        "policies.toml",
        "[listed.circuit]\nthreshold = 7\n[listed.rate_limit]\nrequests = 20\n[listed.bulkhead]\nmax = 5\n",
    )
    .unwrap();
    listed().await.unwrap();
    let breaker = registry::circuit("listed_breaker").unwrap();
    assert_eq!(breaker.threshold(), 7);
    assert_eq!(breaker.stats().successes, 1, "the breaker the call used");
    assert!(
        registry::circuits()
            .iter()
            .any(|b| std::ptr::eq(*b, breaker))
    );
    let limiter = registry::rate_limiter("listed_limiter").unwrap();
    assert_eq!(limiter.requests(), Some(20));
    let entry = registry::find("rate_limit", "listed_limiter").unwrap();
    assert_eq!(entry.status().get("requests_left"), Some(&Value::Count(19)));
    assert_eq!(registry::bulkhead("listed_pool").unwrap().max(), 5);
}

/// A fleet-wide store (what `resilience-redis` installs) with room for one call per
/// limiter it attaches, for the limiters named `named_fleet`.
struct OneCallEach;

impl resilience::rate_limit::shared::LimitStore for OneCallEach {
    fn attach(
        &self,
        limiter: &'static resilience::RateLimiter,
    ) -> Option<std::sync::Arc<dyn resilience::rate_limit::shared::SharedLimit>> {
        struct OneCall(std::sync::atomic::AtomicBool);
        impl resilience::rate_limit::shared::SharedLimit for OneCall {
            fn take(&self, _: u64) -> Result<(), resilience::rate_limit::shared::NotNow> {
                match self.0.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    false => Ok(()),
                    true => Err(resilience::rate_limit::shared::NotNow {
                        wait: Duration::from_secs(3_600),
                        limit: resilience::rate_limit::Limit::Requests,
                    }),
                }
            }
        }
        (limiter.name() == "named_fleet")
            .then(|| std::sync::Arc::new(OneCall(Default::default())) as _)
    }
}

#[rate_limit(policy = "fleet", requests = 100, per = 1s, max_wait = 1s, name = "named_fleet")]
async fn fleet_call() -> Result<(), Refused> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_named_limiter_counts_against_the_fleet_store_and_so_does_the_one_a_file_makes() {
    let _turn = TURN.lock().await;
    // The only store this test binary installs; it attaches `named_fleet` only.
    resilience::rate_limit::shared::install(Box::new(OneCallEach)).unwrap();
    named::load_str("policies.toml", "").unwrap();
    assert!(fleet_call().await.is_ok());
    assert!(
        fleet_call().await.is_err(),
        "the literal limiter has room for 100, the fleet for one"
    );
    named::load_str("policies.toml", "[fleet.rate_limit]\nrequests = 50\n").unwrap();
    assert!(fleet_call().await.is_ok(), "a new limiter, attached anew");
    assert!(
        fleet_call().await.is_err(),
        "and held to the fleet's room too"
    );
}
