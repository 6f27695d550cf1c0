//! Load: 100 000 concurrent calls on a multi-thread runtime through one shared breaker,
//! with faults injected by `chaos`, some calls aborted mid-way, on the real clock.
//!
//! At the end the breaker's books must match what the 100 000 callers saw (every
//! success, failure and rejection counted once, cancelled calls as neither), no call ran
//! its body more than `attempts` times, the breaker went through its whole cycle, and a
//! half-open breaker never had more than `probes` probes inside the body at once.
//!
//! Probes are recognised in the body: a call is a probe if the breaker was half-open
//! when its first attempt entered the body, and then all its attempts count (the permit
//! spans the retries). The body has no await point, so a first attempt and the admission
//! before it run within one poll of the task. A call admitted while closed could only
//! see half-open there if that poll stalled for longer than the recovery period
//! (closed, opened, then recovered, all in between); so each task's polls are timed, and
//! a first entry more than half the recovery period into its poll (a worker descheduled
//! by an overloaded machine) is not counted as anything. Every call counted is then a
//! probe, and with `probes = 1` a period cannot end while its one probe holds the slot,
//! so the high-water mark is exact: it must never exceed 1.
use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use resilience::chaos::{Chaos, Fault};
use resilience::{CircuitBreaker, CircuitOpen, State, circuit, retry};

const CALLS: u64 = 100_000;
const ATTEMPTS: u64 = 3;
const RECOVERY: Duration = Duration::from_millis(5);
const PROBES: u64 = 1;

static BREAKER: CircuitBreaker = match CircuitBreaker::builder()
    .name("load")
    .threshold(3)
    .recovery(RECOVERY)
    .success_threshold(2)
    .probes(PROBES as u32)
    .build()
{
    Ok(breaker) => breaker,
    Err(_) => panic!("bad breaker settings"),
};

const FAULTS: &[Fault] = &[
    Fault::Network,
    Fault::Server(503),
    Fault::RateLimited {
        retry_after: Duration::from_millis(1),
    },
    Fault::Malformed,
];

static CHAOS: Chaos = match Chaos::builder()
    .seed(2024)
    .failure_rate(0.35)
    .faults(FAULTS)
    .build()
{
    Ok(chaos) => chaos,
    Err(_) => panic!("bad chaos settings"),
};

#[derive(Debug)]
enum LoadError {
    Fault(Fault),
    Open(#[allow(dead_code)] CircuitOpen),
}

impl From<Fault> for LoadError {
    fn from(fault: Fault) -> Self {
        LoadError::Fault(fault)
    }
}

impl From<CircuitOpen> for LoadError {
    fn from(open: CircuitOpen) -> Self {
        LoadError::Open(open)
    }
}

static BODIES: AtomicU64 = AtomicU64::new(0);
static PROBES_INSIDE: AtomicU64 = AtomicU64::new(0);
static PROBES_HIGH_WATER: AtomicU64 = AtomicU64::new(0);
static PROBE_ENTRIES: AtomicU64 = AtomicU64::new(0);
static STALLED_ENTRIES: AtomicU64 = AtomicU64::new(0);
static TOO_MANY_ATTEMPTS: AtomicU64 = AtomicU64::new(0);

/// Per task, carried across its polls by [`timed`]: body entries so far, and whether
/// its first entry was counted as a probe.
#[derive(Clone, Copy, Default)]
struct TaskState {
    entries: u64,
    probe: bool,
}

std::thread_local! {
    /// When the poll running on this worker began.
    static POLL_STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The [`TaskState`] of the task being polled on this worker.
    static TASK: Cell<TaskState> = const { Cell::new(TaskState { entries: 0, probe: false }) };
}

/// The function under load: `#[circuit]` above `#[retry]`, so the breaker sees one
/// outcome per retry sequence and a probe's permit spans its retries.
#[circuit(breaker = &BREAKER)]
#[retry(attempts = 3, base = 1ms, max = 4ms, on = LoadError::Fault(Fault::Network | Fault::Server(_) | Fault::RateLimited { .. }))]
async fn call() -> Result<u64, LoadError> {
    BODIES.fetch_add(1, Relaxed);
    let mut task = TASK.with(Cell::get);
    task.entries += 1;
    if task.entries > ATTEMPTS {
        TOO_MANY_ATTEMPTS.fetch_add(1, Relaxed);
    }
    if task.entries == 1 {
        // The first attempt is admitted earlier in this same poll. Unless the poll
        // stalled for half the recovery period before this point, the state read below
        // is the state the call was admitted in (see the module docs); a stalled entry
        // is not counted either way.
        let started = POLL_STARTED
            .with(Cell::get)
            .expect("polled through `timed`");
        if started.elapsed() >= RECOVERY / 2 {
            STALLED_ENTRIES.fetch_add(1, Relaxed);
        } else {
            task.probe = BREAKER.state() == State::HalfOpen;
        }
    }
    TASK.with(|t| t.set(task));
    if task.probe {
        PROBE_ENTRIES.fetch_add(1, Relaxed);
        let inside = PROBES_INSIDE.fetch_add(1, Relaxed) + 1;
        PROBES_HIGH_WATER.fetch_max(inside, Relaxed);
    }
    // Stay inside a little, so the other worker can arrive meanwhile.
    for _ in 0..1_000 {
        std::hint::spin_loop();
    }
    let outcome = CHAOS.inject().await; // no latency: no await point
    if task.probe {
        PROBES_INSIDE.fetch_sub(1, Relaxed);
    }
    outcome.map(|()| 1).map_err(LoadError::from)
}

/// `fut`, recording when each of its polls starts and carrying its [`TaskState`].
fn timed<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    let mut fut = Box::pin(fut);
    let mut state = TaskState::default();
    std::future::poll_fn(move |cx| {
        POLL_STARTED.with(|started| started.set(Some(Instant::now())));
        TASK.with(|t| t.set(state));
        let poll = fut.as_mut().poll(cx);
        state = TASK.with(Cell::get);
        poll
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_concurrent_calls_keep_the_books_straight() {
    let started = Instant::now();
    // 100 waves of 1 000 calls, 1ms apart, so thousands are in flight at once; every
    // 16th caller of the previous wave gives up (some before their first poll, some in a
    // retry sleep, some after they finished).
    let mut handles = Vec::with_capacity(CALLS as usize);
    for wave in 0..100 {
        let previous = handles.len().saturating_sub(1_000);
        handles.extend((0..CALLS / 100).map(|_| tokio::spawn(timed(call()))));
        if wave > 0 {
            handles[previous..previous + 1_000]
                .iter()
                .step_by(16)
                .for_each(tokio::task::JoinHandle::abort);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (mut ok, mut failed, mut rejected, mut aborted) = (0u64, 0u64, 0u64, 0u64);
    let joined = tokio::time::timeout(Duration::from_secs(120), async {
        for handle in handles {
            match handle.await {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(LoadError::Open(_))) => rejected += 1,
                Ok(Err(LoadError::Fault(_))) => failed += 1,
                Err(join) => {
                    assert!(join.is_cancelled(), "a call panicked: {join}");
                    aborted += 1;
                }
            }
        }
    })
    .await;
    assert!(joined.is_ok(), "the load did not finish within 120s");
    let elapsed = started.elapsed();

    let s = BREAKER.stats();
    // The books match what the callers saw.
    assert_eq!(ok + failed + rejected + aborted, CALLS);
    assert_eq!(s.successes, ok, "{s:?}");
    assert_eq!(s.failures, failed, "{s:?}");
    assert_eq!(s.rejected, rejected, "{s:?}");
    assert!(s.ignored() <= aborted, "{s:?}: more cancelled than aborted");
    assert_eq!(s.calls, ok + failed + rejected + s.ignored());
    // Retry never ran a body more than `attempts` times per admitted call.
    let admitted = ok + failed + s.ignored();
    let bodies = BODIES.load(Relaxed);
    assert!(
        bodies <= ATTEMPTS * admitted,
        "{bodies} bodies for {admitted} calls"
    );
    assert_eq!(
        TOO_MANY_ATTEMPTS.load(Relaxed),
        0,
        "a call ran its body too often"
    );
    // The breaker went round its cycle: it opened, rejected, and probed.
    assert!(rejected > 0 && ok > 0 && failed > 0, "{s:?}");
    let probe_entries = PROBE_ENTRIES.load(Relaxed);
    assert!(probe_entries > 0, "never half-open under load");
    // Never more than `probes` probes inside at once.
    let high_water = PROBES_HIGH_WATER.load(Relaxed);
    assert!(high_water <= PROBES, "{high_water} probes inside at once");
    // Nothing leaked: at rest, a half-open breaker has its probe slot free.
    if BREAKER.state() == State::HalfOpen {
        drop(BREAKER.try_acquire().expect("the probe slot is free"));
    }
    eprintln!(
        "load: {CALLS} calls in {elapsed:.2?} ({:.0} calls/s); {ok} ok, {failed} failed, \
         {rejected} rejected, {aborted} aborted ({} cancelled mid-call); {bodies} bodies, \
         {probe_entries} probe entries, probe high-water {high_water} ({} stalled entries not judged)",
        CALLS as f64 / elapsed.as_secs_f64(),
        s.ignored(),
        STALLED_ENTRIES.load(Relaxed),
    );
}
