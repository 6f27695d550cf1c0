//! Breakers' open periods shared through a real `redis-server` between two OS
//! processes: one breaker opens on its own failures, the other replica's breaker of the
//! same name refuses new calls within one poll, then probes on its own. Needs
//! `redis-server` on PATH (Debian package `redis-server`). Each scenario takes about
//! 3.5 s of real time.

#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::num::NonZeroUsize;

use resilience_core::circuit::{Breakers, CircuitBreaker, Scope, State};
use resilience_redis::RedisStore;
use server::RedisServer;

/// The breaker both replicas declare.
const NAME: &str = "shared-breaker";
const KEY: &str = "cb-test:cb:shared-breaker";
/// The keyed family both replicas declare (`#[circuit(key = model)]`), the key one
/// replica trips, and another key of it.
static MODELS: Breakers = Breakers::new(
    match CircuitBreaker::builder()
        .name("shared-models")
        .threshold(2)
        .recovery(Duration::from_millis(RECOVERY_MS))
        .success_threshold(1)
        .build()
    {
        Ok(breaker) => breaker,
        Err(_) => panic!(),
    },
    Scope::PerKey,
    NonZeroUsize::new(16).unwrap(),
);
const KEYED: &str = "gpt-4";
const OTHER_KEY: &str = "claude";
const KEYED_KEY: &str = "cb-test:cb:shared-models/gpt-4";
/// The breaker's recovery, and the poll interval (the store's probe).
const RECOVERY_MS: u64 = 2_000;
const POLL_MS: u64 = 100;
/// When the tripping replica fails, and how long each runs, from the common start.
const TRIP_AT_MS: u64 = 500;
const RUN_MS: u64 = 3_000;
/// Scheduling on a busy 2-core machine.
const SLACK_MS: u64 = 150;

/// One scenario at a time: they time processes on a 2-core machine.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn sleep_until(at_ms: u64) {
    let now = now_ms();
    if at_ms > now {
        std::thread::sleep(Duration::from_millis(at_ms - now));
    }
}

/// What one replica reports: its `CHILD k=v ..` numbers, and everything it printed.
#[derive(Debug)]
struct Report {
    values: BTreeMap<String, u64>,
    output: String,
}

impl Report {
    fn get(&self, key: &str) -> u64 {
        *self
            .values
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {}", self.output))
    }
}

/// Not a test of its own: the replicas' entry point.
#[test]
fn child() {
    if std::env::var_os("RESILIENCE_BREAKER_CHILD").is_some() {
        run_child();
    }
}

/// Starts a replica in `role` (`trip`, `watch`, or `watch-fail`: its first probe after
/// a refusal fails) that begins at `start` and runs `run_ms`.
fn spawn(url: &str, role: &str, start: u64, run_ms: u64) -> Child {
    spawn_with(url, role, start, run_ms, false)
}

/// [`spawn`], with the keyed family's `gpt-4` breaker in place of the function's.
fn spawn_with(url: &str, role: &str, start: u64, run_ms: u64, keyed: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    if keyed {
        command.env("CHILD_KEYED", "1");
    }
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("RESILIENCE_BREAKER_CHILD", "1")
        .env("CHILD_URL", url)
        .env("CHILD_ROLE", role)
        .env("CHILD_START", start.to_string())
        .env("CHILD_RUN_MS", run_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn collect(child: Child) -> Report {
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find_map(|line| line.find("CHILD ").map(|at| &line[at + 6..]))
        .unwrap_or_else(|| panic!("no report from the child:\n{stdout}\n{stderr}"));
    let values = line
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect();
    Report {
        values,
        output: stdout + &stderr,
    }
}

/// A tripping replica and a watching one against `url`.
fn pair(url: &str) -> (Report, Report) {
    let start = now_ms() + 600;
    let trip = spawn(url, "trip", start, RUN_MS);
    let watch = spawn(url, "watch", start, RUN_MS);
    (collect(trip), collect(watch))
}

/// `trip`: fails twice at `TRIP_AT_MS` (its breaker opens for `RECOVERY_MS`), then
/// calls every 10 ms with successes. `watch`: calls every 10 ms with successes and notes
/// when its breaker refuses. Both print what they saw, in ms from the common start.
fn run_child() {
    let var = |name: &str| std::env::var(name).unwrap();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(
        CircuitBreaker::builder()
            .name(NAME)
            .threshold(2)
            .recovery(Duration::from_millis(RECOVERY_MS))
            .success_threshold(1)
            .build()
            .unwrap(),
    ));
    // Keyed: the breakers of `MODELS`, one per key, each looked up per call as
    // `#[circuit(key = ..)]` does (so none is kept, and the store may not hold one).
    let keyed = std::env::var_os("CHILD_KEYED").is_some();
    if keyed {
        resilience_core::registry::register(&MODELS);
    } else {
        breaker.register();
    }
    let store = resilience_redis::install(
        RedisStore::builder(var("CHILD_URL"))
            .prefix("cb-test:")
            .deadline(Duration::from_millis(50))
            .probe(Duration::from_millis(POLL_MS))
            .build()
            .unwrap(),
    )
    .unwrap();
    let start: u64 = var("CHILD_START").parse().unwrap();
    let run_ms: u64 = var("CHILD_RUN_MS").parse().unwrap();
    let trip = var("CHILD_ROLE") == "trip";
    let mut fail_probe = var("CHILD_ROLE") == "watch-fail";
    let mut seen = BTreeMap::new();
    let mut tripped = false;
    sleep_until(start);
    while now_ms() < start + run_ms {
        let at = now_ms() - start;
        let member = keyed.then(|| MODELS.for_key(KEYED).unwrap());
        let breaker: &CircuitBreaker = member.as_deref().map_or(breaker, |kept| &**kept);
        if keyed {
            // Another key of the family: its breaker never refuses here.
            match MODELS.for_key(OTHER_KEY).unwrap().try_acquire() {
                Ok(permit) => permit.success(),
                Err(_) => *seen.entry("other_key_refused").or_insert(0) += 1,
            }
        }
        if trip && !tripped && at >= TRIP_AT_MS {
            tripped = true;
            for _ in 0..2 {
                breaker.try_acquire().expect("closed").failure();
            }
            assert_eq!(breaker.state(), State::Open);
            seen.insert("opened_at", at);
            let left = breaker.open_remaining().unwrap();
            seen.insert("remaining", left.as_millis() as u64);
        }
        match breaker.try_acquire() {
            Ok(permit) => {
                if seen.contains_key("last_refused") && !seen.contains_key("readmitted") {
                    seen.insert("readmitted", at);
                }
                if fail_probe && seen.contains_key("last_refused") {
                    // Its own outcome: the probe fails, and it opens on its own.
                    fail_probe = false;
                    permit.failure();
                    assert_eq!(breaker.state(), State::Open);
                    seen.insert("reopened_at", at);
                } else {
                    permit.success();
                }
            }
            Err(open) => {
                if !seen.contains_key("first_refused") {
                    seen.insert("first_refused", at);
                    seen.insert("retry_in", open.retry_in().as_millis() as u64);
                }
                seen.insert("last_refused", at);
                seen.remove("readmitted");
                *seen.entry("refused").or_insert(0) += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let stats = store.stats();
    seen.insert("published", stats.published);
    seen.insert("advised", stats.advised);
    let member = keyed.then(|| MODELS.for_key(KEYED).unwrap());
    let breaker: &CircuitBreaker = member.as_deref().map_or(breaker, |kept| &**kept);
    seen.insert("closed", u64::from(breaker.state() == State::Closed));
    let line: Vec<String> = seen.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("CHILD {}", line.join(" "));
}

#[test]
fn an_open_period_is_honoured_by_the_other_replica_which_then_probes_on_its_own() {
    let _one = serial();
    let server = RedisServer::start();
    let (trip, watch) = pair(&server.url());
    eprintln!("opener {:?}\nother {:?}", trip.values, watch.values);
    let opened = trip.get("opened_at");
    let remaining = trip.get("remaining");
    assert!(
        remaining <= RECOVERY_MS && remaining + 20 >= RECOVERY_MS,
        "{trip:?}"
    );
    assert_eq!(trip.get("published"), 1, "{trip:?}");
    assert_eq!(
        trip.get("advised"),
        0,
        "its own period is not advice: {trip:?}"
    );
    // The other replica refuses new calls within one poll of the open.
    let first = watch.get("first_refused");
    assert!(
        first >= opened && first <= opened + POLL_MS + SLACK_MS,
        "opened at {opened}, refused from {first}: {watch:?}"
    );
    // For no longer than the opener has left.
    let retry_in = watch.get("retry_in");
    assert!(
        retry_in <= remaining && retry_in + (first - opened) + SLACK_MS >= remaining,
        "retry_in {retry_in}ms, {first} vs {opened}: {watch:?}"
    );
    // Then it probes on its own when the period ends, and its success closes it.
    let readmitted = watch.get("readmitted");
    assert!(
        readmitted >= opened + RECOVERY_MS - 20 && readmitted <= opened + RECOVERY_MS + SLACK_MS,
        "readmitted at {readmitted}, opened at {opened}: {watch:?}"
    );
    assert_eq!(watch.get("closed"), 1, "{watch:?}");
    // Advised once, and it did not publish the advice back (no ping-pong).
    assert_eq!(watch.get("advised"), 1, "{watch:?}");
    assert_eq!(watch.get("published"), 0, "{watch:?}");
    assert!(
        watch.output.contains("reason=\"advisory\""),
        "{}",
        watch.output
    );
    // The opener probed on its own too; the key expired with the period.
    assert_eq!(trip.get("closed"), 1, "{trip:?}");
    assert_eq!(server.command(&["EXISTS", KEY]).as_deref(), Some(":0"));
}

/// The advised replica's own probe fails: it opens on its own and publishes that period,
/// which the first replica (closed again by then) honours in turn. Each period is
/// published once, by the replica whose outcomes started it: none is extended by echo.
#[test]
fn an_advised_replica_whose_probe_fails_opens_on_its_own_and_advises_back() {
    let _one = serial();
    let server = RedisServer::start();
    let run_ms = RUN_MS + RECOVERY_MS;
    let start = now_ms() + 600;
    let trip = spawn(&server.url(), "trip", start, run_ms);
    let watch = spawn(&server.url(), "watch-fail", start, run_ms);
    let (trip, watch) = (collect(trip), collect(watch));
    eprintln!("opener {:?}\nother {:?}", trip.values, watch.values);
    let reopened = watch.get("reopened_at");
    assert!(
        reopened >= trip.get("opened_at") + RECOVERY_MS - 20,
        "its probe came after the advised period: {watch:?}"
    );
    assert_eq!(
        (watch.get("advised"), watch.get("published")),
        (1, 1),
        "{watch:?}"
    );
    assert_eq!(
        (trip.get("advised"), trip.get("published")),
        (1, 1),
        "{trip:?}"
    );
    // The opener, closed again on its own probe, refused from one poll after the other
    // replica reopened until that period ended; then probed and closed.
    let readmitted = trip.get("readmitted");
    assert!(
        readmitted >= reopened + RECOVERY_MS - 20
            && readmitted <= reopened + RECOVERY_MS + SLACK_MS,
        "readmitted at {readmitted}, the other reopened at {reopened}: {trip:?}"
    );
    assert_eq!((trip.get("closed"), watch.get("closed")), (1, 1));
}

#[test]
fn a_foreign_value_under_the_key_is_ignored_with_an_event() {
    let _one = serial();
    let server = RedisServer::start();
    assert_eq!(
        server.command(&["SET", KEY, "cb1:99x"]).as_deref(),
        Some("+OK")
    );
    let (trip, watch) = pair(&server.url());
    // Each breaker decides alone: the opener's own period, nothing published or advised.
    assert!(trip.get("refused") > 0, "{trip:?}");
    assert_eq!(trip.get("published"), 0, "{trip:?}");
    assert!(
        trip.output.contains("not published") && trip.output.contains(KEY),
        "{}",
        trip.output
    );
    assert!(!watch.values.contains_key("refused"), "{watch:?}");
    assert_eq!(watch.get("advised"), 0, "{watch:?}");
    assert!(
        watch.output.contains("no replica wrote: ignored") && watch.output.contains(KEY),
        "{}",
        watch.output
    );
    // The foreign value is left alone.
    assert_eq!(server.command(&["GET", KEY]).as_deref(), Some("$7"));
}

#[test]
fn with_redis_down_each_breaker_decides_alone() {
    let _one = serial();
    // Nothing listens on port 1.
    let (trip, watch) = pair("redis://127.0.0.1:1");
    let opened = trip.get("opened_at");
    assert!(
        trip.get("first_refused") >= opened && trip.get("readmitted") >= opened + RECOVERY_MS - 20,
        "its own breaker works as alone: {trip:?}"
    );
    assert_eq!(trip.get("closed"), 1, "{trip:?}");
    assert_eq!(trip.get("published"), 0, "{trip:?}");
    assert!(!watch.values.contains_key("refused"), "{watch:?}");
    assert_eq!(watch.get("advised"), 0, "{watch:?}");
    for report in [&trip, &watch] {
        assert!(
            report.output.contains("shared breaker periods unavailable"),
            "{}",
            report.output
        );
    }
}

/// A key's breaker is shared key by key: the other replica's `gpt-4` breaker refuses
/// within two polls of the open (one to publish it, one to read it), its `claude`
/// breaker never does, and neither replica keeps a key's breaker to share it.
#[test]
fn a_keyed_breakers_open_period_is_shared_for_that_key_only() {
    let _one = serial();
    let server = RedisServer::start();
    let start = now_ms() + 600;
    let trip = spawn_with(&server.url(), "trip", start, RUN_MS, true);
    let watch = spawn_with(&server.url(), "watch", start, RUN_MS, true);
    let (trip, watch) = (collect(trip), collect(watch));
    eprintln!("opener {:?}\nother {:?}", trip.values, watch.values);
    let opened = trip.get("opened_at");
    assert_eq!(trip.get("published"), 1, "{trip:?}");
    assert_eq!(trip.get("advised"), 0, "{trip:?}");
    let first = watch.get("first_refused");
    assert!(
        first >= opened && first <= opened + 2 * POLL_MS + SLACK_MS,
        "opened at {opened}, refused from {first}: {watch:?}"
    );
    let readmitted = watch.get("readmitted");
    assert!(
        readmitted >= opened + RECOVERY_MS - 20 && readmitted <= opened + RECOVERY_MS + SLACK_MS,
        "readmitted at {readmitted}, opened at {opened}: {watch:?}"
    );
    assert_eq!(watch.get("advised"), 1, "{watch:?}");
    assert_eq!(watch.get("published"), 0, "advice is not echoed: {watch:?}");
    for report in [&trip, &watch] {
        assert!(
            !report.values.contains_key("other_key_refused"),
            "another key is another failure domain: {report:?}"
        );
        assert_eq!(report.get("closed"), 1, "{report:?}");
    }
    assert_eq!(
        server.command(&["EXISTS", KEYED_KEY]).as_deref(),
        Some(":0")
    );
}
