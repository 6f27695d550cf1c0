//! Cancellation and panics through the attributes.
//!
//! A future returned by a resilient function can be dropped at any await point: the
//! caller's own timeout, a `select!`, a client that hung up, an aborted task. Wherever
//! that happens (inside the body, in a retry's sleep, during a half-open probe, under a
//! `#[timeout]`, while a fallback agent runs), the breaker must stay consistent: a
//! cancelled call counts as neither success nor failure, a probe gives its slot back, and
//! the next call works. A body that panics counts as a failure, and the next call works.
//!
//! Everything runs on tokio's paused clock, so "dropped at 2.25s" means exactly that.
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use common::{ApiError, secs};
use resilience::{CircuitBreaker, State, Stats, circuit, fallback, retry, timeout};
use tokio::time::{advance, sleep};

const RECOVERY: Duration = Duration::from_secs(5);

/// Keeps the panics these tests cause on purpose (their messages say "panicked") out
/// of the output; any other panic is reported as usual.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.contains("body panicked") {
                default(info);
            }
        }));
    });
}

/// What one scripted service does when called: work for a while, then panic, fail or
/// answer with its call number.
#[derive(Default)]
struct Script {
    calls: AtomicU32,
    work_ms: AtomicU64,
    fail: AtomicBool,
    panic: AtomicBool,
}

impl Script {
    fn set(&self, work_ms: u64, fail: bool) {
        self.work_ms.store(work_ms, SeqCst);
        self.fail.store(fail, SeqCst);
        self.panic.store(false, SeqCst);
    }

    async fn run(&self) -> Result<u32, ApiError> {
        let n = self.calls.fetch_add(1, SeqCst) + 1;
        sleep(Duration::from_millis(self.work_ms.load(SeqCst))).await;
        if self.panic.load(SeqCst) {
            panic!("the body panicked (call {n})");
        }
        if self.fail.load(SeqCst) {
            Err(ApiError::Network)
        } else {
            Ok(n)
        }
    }
}

/// A client with its own breaker (threshold 1, one probe, one success closes it: the
/// settings where a leaked probe slot or a lost transition shows at once).
struct Client {
    breaker: CircuitBreaker,
    primary: Script,
    backup: Script,
}

impl Client {
    fn new() -> Self {
        Self::with(CircuitBreaker::builder().threshold(1))
    }

    fn with(builder: resilience::circuit::CircuitBreakerBuilder) -> Self {
        Client {
            breaker: builder
                .name("cancellation")
                .recovery(RECOVERY)
                .success_threshold(1)
                .probes(1)
                .build()
                .unwrap(),
            primary: Script::default(),
            backup: Script::default(),
        }
    }

    /// The design's stack: fallback(circuit(retry(timeout(body)))).
    #[fallback(agents = [Self::backup])]
    #[circuit(breaker = &self.breaker)]
    #[retry(attempts = 3, base = 1s, jitter = "none", on = ApiError::Network | ApiError::Timeout(_))]
    #[timeout(2s)]
    async fn stacked(&self) -> Result<u32, ApiError> {
        self.primary.run().await
    }

    /// The other way round: timeout(retry(circuit(body))), the breaker sees each attempt.
    #[timeout(6s)]
    #[retry(attempts = 3, base = 1s, jitter = "none", on = ApiError::Network)]
    #[circuit(breaker = &self.breaker)]
    async fn inverted(&self) -> Result<u32, ApiError> {
        self.primary.run().await
    }

    /// The breaker around the primary and its fallback together.
    #[circuit(breaker = &self.breaker)]
    #[fallback(agents = [Self::backup])]
    async fn guarded_fallback(&self) -> Result<u32, ApiError> {
        self.primary.run().await
    }

    async fn backup(&self) -> Result<u32, ApiError> {
        self.backup.run().await
    }

    /// Opens the breaker and lets the recovery period pass: the next call is a probe.
    async fn make_half_open(&self) {
        self.breaker.try_acquire().unwrap().failure();
        advance(RECOVERY).await;
    }

    /// The breaker is consistent: its counters add up, and if it is half-open every
    /// probe slot is free (takes the slot and gives it back, which counts one call).
    #[track_caller]
    fn assert_consistent(&self) {
        let s = self.breaker.stats();
        assert!(s.calls >= s.successes + s.failures + s.rejected, "{s:?}");
        if self.breaker.state() == State::HalfOpen {
            let probe = self.breaker.try_acquire().expect("the probe slot is free");
            assert!(probe.is_probe());
            assert!(self.breaker.try_acquire().is_err(), "more than one slot");
            drop(probe);
        }
    }

    /// After the recovery period a healthy call goes through and closes the breaker.
    async fn assert_next_call_works(&self, f: Variant) {
        self.primary.set(0, false);
        self.backup.set(0, false);
        advance(RECOVERY).await;
        let answer = f.call(self).await;
        assert!(answer.is_ok(), "{answer:?} from {:?}", self.breaker);
        assert_eq!(self.breaker.state(), State::Closed);
    }
}

#[derive(Clone, Copy, Debug)]
enum Variant {
    Stacked,
    Inverted,
    GuardedFallback,
}

impl Variant {
    async fn call(self, client: &Client) -> Result<u32, ApiError> {
        match self {
            Variant::Stacked => client.stacked().await,
            Variant::Inverted => client.inverted().await,
            Variant::GuardedFallback => client.guarded_fallback().await,
        }
    }
}

fn stats(calls: u64, successes: u64, failures: u64, rejected: u64) -> Stats {
    Stats {
        calls,
        successes,
        failures,
        rejected,
    }
}

/// Drops `f`'s future after `cut` of virtual time (after one poll for a zero cut);
/// returns its answer if it finished first.
async fn cut_after(cut: Duration, f: Variant, client: &Client) -> Option<Result<u32, ApiError>> {
    tokio::time::timeout(cut, f.call(client)).await.ok()
}

// ---------------------------------------------------------------- every instant

/// Every variant, from closed and from half-open, with a primary that fails fast, times
/// out or answers slowly, and a backup that fails or answers: the call is dropped at
/// every quarter second of its life (after a single poll, in the body, in each retry
/// sleep, under each timeout, during the fallback agent, after it finished). After each
/// drop the breaker is consistent and the next call works.
#[tokio::test(start_paused = true)]
async fn dropping_a_call_at_any_instant_leaves_the_breaker_consistent() {
    let mut scenarios = 0;
    let mut cancelled = 0;
    for f in [
        Variant::Stacked,
        Variant::Inverted,
        Variant::GuardedFallback,
    ] {
        for half_open in [false, true] {
            // (work ms, fails): fast failure, a call past the 2s timeout, a slow answer.
            for (work, fail) in [(0, true), (3_000, false), (500, false)] {
                for backup_fails in [false, true] {
                    for quarter in 0..=64u64 {
                        let client = Client::new();
                        if half_open {
                            client.make_half_open().await;
                        }
                        client.primary.set(work, fail);
                        client.backup.set(2_000, backup_fails);
                        let cut = Duration::from_millis(quarter * 250);
                        if cut_after(cut, f, &client).await.is_none() {
                            cancelled += 1;
                        }
                        client.assert_consistent();
                        client.assert_next_call_works(f).await;
                        scenarios += 1;
                    }
                }
            }
        }
    }
    assert_eq!(scenarios, 3 * 2 * 3 * 2 * 65);
    // Both kinds happen: calls dropped mid-way, and calls that finished before the cut.
    assert!(
        cancelled > 0 && cancelled < scenarios,
        "{cancelled} of {scenarios}"
    );
    eprintln!("{scenarios} scenarios, {cancelled} dropped before they finished");
}

/// The same from a single poll with a no-op waker, outside any timer: the future is
/// dropped at its very first await point.
#[tokio::test(start_paused = true)]
async fn dropping_after_the_first_poll_gives_the_probe_back() {
    for f in [
        Variant::Stacked,
        Variant::Inverted,
        Variant::GuardedFallback,
    ] {
        let client = Client::new();
        client.make_half_open().await;
        client.primary.set(1_000, false);
        {
            let mut fut = std::pin::pin!(f.call(&client));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(fut.as_mut().poll(&mut cx).is_pending());
            assert_eq!(client.breaker.state(), State::HalfOpen);
            assert!(client.breaker.try_acquire().is_err(), "the probe is inside");
        }
        // One failure (the trip), one rejection (ours), one cancelled probe.
        assert_eq!(client.breaker.stats(), stats(3, 0, 1, 1));
        client.assert_consistent();
        client.assert_next_call_works(f).await;
    }
}

// ---------------------------------------------------------------- each await point

/// Dropped in the retry's sleep while `#[circuit]` above holds the probe: the slot comes
/// back, nothing is counted but the cancelled call.
#[tokio::test(start_paused = true)]
async fn cancelled_in_a_retry_sleep_the_probe_slot_comes_back() {
    let client = Client::new();
    client.make_half_open().await;
    client.primary.set(0, true); // fails at once, then the retry sleeps 1s
    assert_eq!(cut_after(secs(0.5), Variant::Stacked, &client).await, None);
    assert_eq!(client.primary.calls.load(SeqCst), 1);
    assert_eq!(client.breaker.state(), State::HalfOpen);
    assert_eq!(client.breaker.stats(), stats(2, 0, 1, 0));
    assert_eq!(client.breaker.stats().ignored(), 1);
    client.assert_consistent();
    client.assert_next_call_works(Variant::Stacked).await;
}

/// Dropped in the middle of a half-open probe's body.
#[tokio::test(start_paused = true)]
async fn cancelled_inside_a_probe_the_slot_comes_back() {
    for f in [
        Variant::Stacked,
        Variant::Inverted,
        Variant::GuardedFallback,
    ] {
        let client = Client::new();
        client.make_half_open().await;
        client.primary.set(1_500, false);
        assert_eq!(cut_after(secs(1.0), f, &client).await, None, "{f:?}");
        assert_eq!(client.breaker.stats(), stats(2, 0, 1, 0), "{f:?}");
        client.assert_consistent();
        client.assert_next_call_works(f).await;
    }
}

/// A `#[timeout]` above `#[circuit]` that expires cancels the call below it: a probe
/// gives its slot back and counts as nothing, and the function returns `TimedOut`.
#[tokio::test(start_paused = true)]
async fn an_outer_timeout_cancels_the_probe_and_counts_nothing() {
    let client = Client::new();
    client.make_half_open().await;
    client.primary.set(10_000, false);
    let answer = client.inverted().await;
    assert!(matches!(answer, Err(ApiError::Timeout(_))), "{answer:?}");
    assert_eq!(client.breaker.stats(), stats(2, 0, 1, 0));
    assert_eq!(client.breaker.state(), State::HalfOpen);
    client.assert_consistent();
    client.assert_next_call_works(Variant::Inverted).await;
}

/// A `#[timeout]` below `#[circuit]` is an error the breaker sees: it counts as a
/// failure (here after the retries), and the fallback answers.
#[tokio::test(start_paused = true)]
async fn an_inner_timeout_is_a_failure_for_the_breaker_above_it() {
    let client = Client::new();
    client.primary.set(3_000, false);
    client.backup.set(0, false);
    assert_eq!(client.stacked().await, Ok(1));
    assert_eq!(client.primary.calls.load(SeqCst), 3);
    assert_eq!(client.breaker.stats(), stats(1, 0, 1, 0));
    assert_eq!(client.breaker.state(), State::Open);
    client.assert_next_call_works(Variant::Stacked).await;
}

/// Dropped while the fallback agent runs, with `#[circuit]` *below* `#[fallback]`: the
/// breaker had already seen the primary's failure; the cancellation changes nothing.
#[tokio::test(start_paused = true)]
async fn cancelled_in_the_fallback_agent_below_it_the_failure_stands() {
    let client = Client::new();
    client.primary.set(0, true);
    client.backup.set(2_000, false);
    // Primary: 3 attempts with 1s + 2s between them, then the agent works 2s.
    assert_eq!(cut_after(secs(4.0), Variant::Stacked, &client).await, None);
    assert_eq!(client.backup.calls.load(SeqCst), 1);
    assert_eq!(client.breaker.stats(), stats(1, 0, 1, 0));
    assert_eq!(client.breaker.state(), State::Open);
    client.assert_next_call_works(Variant::Stacked).await;
}

/// Dropped while the fallback agent runs, with `#[circuit]` *above* `#[fallback]`: the
/// agent runs under the breaker's permit, so the cancelled probe gives its slot back.
#[tokio::test(start_paused = true)]
async fn cancelled_in_the_fallback_agent_above_it_the_probe_comes_back() {
    let client = Client::new();
    client.make_half_open().await;
    client.primary.set(0, true);
    client.backup.set(2_000, false);
    assert_eq!(
        cut_after(secs(1.0), Variant::GuardedFallback, &client).await,
        None
    );
    assert_eq!(client.backup.calls.load(SeqCst), 1);
    assert_eq!(client.breaker.stats(), stats(2, 0, 1, 0));
    assert_eq!(client.breaker.state(), State::HalfOpen);
    client.assert_consistent();
    client
        .assert_next_call_works(Variant::GuardedFallback)
        .await;
}

/// An aborted task is a dropped future too.
#[tokio::test(start_paused = true)]
async fn an_aborted_task_gives_the_probe_back() {
    let client = Arc::new(Client::new());
    client.make_half_open().await;
    client.primary.set(60_000, false);
    let task = tokio::spawn({
        let client = client.clone();
        async move { client.stacked().await }
    });
    sleep(secs(1.0)).await;
    assert!(
        client.breaker.try_acquire().is_err(),
        "the probe is running"
    );
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(client.breaker.stats(), stats(3, 0, 1, 1));
    client.assert_consistent();
    client.assert_next_call_works(Variant::Stacked).await;
}

// ---------------------------------------------------------------- panics

/// Spawns `f` on `client` with a panicking primary; returns once the task has panicked.
async fn panic_in(client: &Arc<Client>, f: Variant) {
    quiet_expected_panics();
    client.primary.set(100, false);
    client.primary.panic.store(true, SeqCst);
    let task = tokio::spawn({
        let client = client.clone();
        async move { f.call(&client).await }
    });
    let err = task.await.expect_err("the body panicked");
    assert!(err.is_panic());
    client.primary.panic.store(false, SeqCst);
}

/// A body that panics counts as one failure, whatever the stack around it, and the next
/// call works. (A panic is not an `Err`: no retry, no fallback; it unwinds.)
#[tokio::test(start_paused = true)]
async fn a_panicking_body_is_a_failure_and_the_next_call_works() {
    for f in [
        Variant::Stacked,
        Variant::Inverted,
        Variant::GuardedFallback,
    ] {
        let client = Arc::new(Client::with(CircuitBreaker::builder().threshold(2)));
        panic_in(&client, f).await;
        assert_eq!(client.primary.calls.load(SeqCst), 1, "{f:?}: no retry");
        assert_eq!(client.backup.calls.load(SeqCst), 0, "{f:?}: no fallback");
        assert_eq!(client.breaker.stats(), stats(1, 0, 1, 0), "{f:?}");
        assert_eq!(client.breaker.state(), State::Closed);
        client.primary.set(0, false);
        assert!(f.call(&client).await.is_ok());
        // The success reset the count: one panic is again not enough to open it.
        panic_in(&client, f).await;
        assert_eq!(client.breaker.state(), State::Closed);
        assert_eq!(client.breaker.stats(), stats(3, 1, 2, 0));
    }
}

/// A half-open probe that panics reopens the breaker for a fresh recovery period; the
/// probe after that works.
#[tokio::test(start_paused = true)]
async fn a_panicking_probe_reopens_and_the_next_probe_works() {
    for f in [
        Variant::Stacked,
        Variant::Inverted,
        Variant::GuardedFallback,
    ] {
        let client = Arc::new(Client::new());
        client.make_half_open().await;
        panic_in(&client, f).await;
        assert_eq!(client.breaker.state(), State::Open, "{f:?}");
        assert_eq!(client.breaker.stats(), stats(2, 0, 2, 0));
        let open = client.breaker.try_acquire().unwrap_err();
        assert_eq!(open.retry_in(), RECOVERY, "a fresh period from the panic");
        client.assert_next_call_works(f).await;
    }
}

/// A blocking `#[circuit]` function that panics, caught by the caller.
#[test]
fn a_panicking_blocking_body_is_a_failure() {
    quiet_expected_panics();
    struct Blocking {
        breaker: CircuitBreaker,
        explode: bool,
    }
    impl Blocking {
        #[circuit(breaker = &self.breaker)]
        fn call(&self) -> Result<u32, ApiError> {
            if self.explode {
                panic!("blocking body panicked");
            }
            Ok(1)
        }
    }
    let mut client = Blocking {
        breaker: CircuitBreaker::builder().threshold(2).build().unwrap(),
        explode: true,
    };
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.call()));
    assert!(caught.is_err());
    assert_eq!(client.breaker.stats(), stats(1, 0, 1, 0));
    client.explode = false;
    assert_eq!(client.call(), Ok(1));
    assert_eq!(client.breaker.stats(), stats(2, 1, 1, 0));
}

/// A panic inside a retried body under `#[retry]` alone: unwinds at once, no retry, and
/// the function works on the next call.
#[tokio::test(start_paused = true)]
async fn a_panic_under_retry_is_not_retried() {
    quiet_expected_panics();
    static CALLS: AtomicU32 = AtomicU32::new(0);
    static EXPLODE: AtomicBool = AtomicBool::new(true);
    #[retry(attempts = 5, base = 1s, jitter = "none")]
    async fn flaky() -> Result<u32, ApiError> {
        let n = CALLS.fetch_add(1, SeqCst) + 1;
        sleep(secs(0.5)).await;
        if EXPLODE.load(SeqCst) {
            panic!("retried body panicked");
        }
        Ok(n)
    }
    let err = tokio::spawn(flaky()).await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(CALLS.load(SeqCst), 1);
    EXPLODE.store(false, SeqCst);
    assert_eq!(flaky().await, Ok(2));
}

/// `#[timeout]` around a body that panics: the panic goes through the timeout.
#[tokio::test(start_paused = true)]
async fn a_panic_under_timeout_unwinds_through_it() {
    quiet_expected_panics();
    #[timeout(10s)]
    async fn explode() -> Result<(), ApiError> {
        sleep(secs(1.0)).await;
        panic!("timed body panicked");
    }
    let err = tokio::spawn(explode()).await.unwrap_err();
    assert!(err.is_panic());
}

// ---------------------------------------------------------------- somebody else's panic

/// Runs `call` next to a sibling future that panics after 1s, in one task.
async fn beside_a_panicking_sibling<F>(call: F)
where
    F: std::future::Future<Output = Result<u32, ApiError>> + Send + 'static,
{
    quiet_expected_panics();
    let task = tokio::spawn(async move {
        tokio::join!(call, async {
            sleep(secs(1.0)).await;
            panic!("sibling body panicked");
        })
    });
    assert!(task.await.unwrap_err().is_panic());
}

/// Regression: `CircuitBreaker::call` dropped while a *sibling* future in the same task
/// panics used to count as a failure (its permit saw `thread::panicking()`), so one
/// buggy neighbour opened a healthy service's breaker. It is a cancellation.
#[tokio::test(start_paused = true)]
async fn a_sibling_panic_is_not_a_failure_of_breaker_call() {
    let breaker: &'static CircuitBreaker = Box::leak(Box::new(
        CircuitBreaker::builder().threshold(1).build().unwrap(),
    ));
    let healthy = breaker.call(async {
        sleep(secs(10.0)).await;
        Ok::<u32, ApiError>(1)
    });
    beside_a_panicking_sibling(healthy).await;
    assert_eq!(breaker.state(), State::Closed);
    assert_eq!(breaker.stats(), stats(1, 0, 0, 0));
    // Its own panic still counts.
    quiet_expected_panics();
    let own = tokio::spawn(breaker.call(async {
        sleep(secs(1.0)).await;
        if true {
            panic!("the body panicked");
        }
        Ok::<u32, ApiError>(1)
    }));
    assert!(own.await.unwrap_err().is_panic());
    assert_eq!(breaker.state(), State::Open);
    assert_eq!(breaker.stats(), stats(2, 0, 1, 0));
}

/// Regression: the same sibling panic through an attribute used to count as a failure of
/// the healthy call and open its breaker, because the pipeline kept the bare `Permit`
/// and could not tell whose panic it was. `pipeline::Guard` now notes whether its own
/// call's poll unwound, and the pipeline cancels the permit otherwise.
#[tokio::test(start_paused = true)]
async fn a_sibling_panic_is_not_a_failure_of_an_attribute_call() {
    let client = Arc::new(Client::new());
    client.primary.set(10_000, false);
    let healthy = {
        let client = client.clone();
        async move { client.stacked().await }
    };
    beside_a_panicking_sibling(healthy).await;
    assert_eq!(
        client.breaker.state(),
        State::Closed,
        "a sibling's panic opened it"
    );
    assert_eq!(client.breaker.stats().failures, 0);
}
