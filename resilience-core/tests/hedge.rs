//! Hedged calls on tokio's paused clock: when each copy starts, which answer wins, when
//! the losers are dropped, what the budget allows, and each copy's own pass through the
//! layers below the hedge.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use resilience_core::fallback::Agent;
use resilience_core::hedge::{Hedge, HedgePolicy};
use resilience_core::pipeline::pipeline;
use resilience_core::retry::{Price, RetryBudget};
use resilience_core::{CircuitBreaker, CircuitOpen, ConfigError, TimedOut};
use support::events::capture_async;
use tokio::time::{Instant, sleep};

const fn policy(after_ms: u64, max: u32) -> HedgePolicy {
    ConfigError::unwrap_const(
        HedgePolicy::builder()
            .after(Duration::from_millis(after_ms))
            .max(max)
            .build(),
    )
}

static ONE_AFTER_1S: HedgePolicy = policy(1_000, 1);
static TWO_AFTER_1S: HedgePolicy = policy(1_000, 2);

/// One thing that happened to a copy: `(copy, "start" | "end" | "drop", at)`.
type Entry = (usize, &'static str, Duration);

/// What happened to the copies, in order.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<Entry>>>);

impl Log {
    fn note(&self, copy: usize, what: &'static str, start: Instant) {
        self.0.borrow_mut().push((copy, what, start.elapsed()));
    }

    fn entries(&self) -> Vec<(usize, &'static str, u64)> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).expect("fits");
        self.0
            .borrow()
            .iter()
            .map(|&(c, w, at)| (c, w, ms(at)))
            .collect()
    }
}

/// Notes when it is dropped before its copy ended.
struct DropNote {
    log: Log,
    copy: usize,
    start: Instant,
    ended: bool,
}

impl Drop for DropNote {
    fn drop(&mut self) {
        if !self.ended {
            self.log.note(self.copy, "drop", self.start);
        }
    }
}

/// A copy that takes `took[copy]` milliseconds and then answers `answer(copy)`.
async fn copy(
    log: Log,
    start: Instant,
    copy: usize,
    took: u64,
    fails: bool,
) -> Result<usize, String> {
    log.note(copy, "start", start);
    let mut note = DropNote {
        log: log.clone(),
        copy,
        start,
        ended: false,
    };
    sleep(Duration::from_millis(took)).await;
    note.ended = true;
    log.note(copy, "end", start);
    if fails {
        Err(format!("copy {copy} failed"))
    } else {
        Ok(copy)
    }
}

#[tokio::test(start_paused = true)]
async fn the_second_copy_starts_exactly_at_after_and_the_loser_is_dropped_when_it_answers() {
    let (log, start) = (Log::default(), Instant::now());
    let hedge = Hedge::new(&ONE_AFTER_1S);
    let took = [5_000, 1_500];
    let answer = hedge
        .race(|k| copy(log.clone(), start, k, took[k], false))
        .await;
    assert_eq!(answer, Ok(1));
    assert_eq!(start.elapsed(), Duration::from_millis(2_500));
    assert_eq!(
        log.entries(),
        [
            (0, "start", 0),
            (1, "start", 1_000),
            (1, "end", 2_500),
            (0, "drop", 2_500)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_first_copy_that_answers_in_time_is_the_only_one() {
    let (log, start) = (Log::default(), Instant::now());
    let hedge = Hedge::new(&TWO_AFTER_1S);
    let answer = hedge
        .race(|k| copy(log.clone(), start, k, 999, false))
        .await;
    assert_eq!(answer, Ok(0));
    assert_eq!(log.entries(), [(0, "start", 0), (0, "end", 999)]);
}

#[tokio::test(start_paused = true)]
async fn copies_start_every_after_up_to_max_and_the_first_ok_wins() {
    let (log, start) = (Log::default(), Instant::now());
    let hedge = Hedge::new(&TWO_AFTER_1S);
    let took = [10_000, 10_000, 500];
    let answer = hedge
        .race(|k| copy(log.clone(), start, k, took[k], false))
        .await;
    assert_eq!(answer, Ok(2));
    assert_eq!(
        log.entries(),
        [
            (0, "start", 0),
            (1, "start", 1_000),
            (2, "start", 2_000),
            (2, "end", 2_500),
            (0, "drop", 2_500),
            (1, "drop", 2_500),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_copy_starts_no_other_and_the_last_error_is_returned() {
    let (log, start) = (Log::default(), Instant::now());
    let hedge = Hedge::new(&TWO_AFTER_1S);
    // Copy 0 fails at 0.5 s, before any hedge: nothing else runs, so that is the answer.
    let answer = hedge.race(|k| copy(log.clone(), start, k, 500, true)).await;
    assert_eq!(answer, Err("copy 0 failed".to_owned()));
    assert_eq!(log.entries(), [(0, "start", 0), (0, "end", 500)]);

    // Copy 0 fails at 1.2 s while copy 1 runs; copy 1 fails at 1.8 s; copy 2 never
    // starts (it was due at 2 s, but nothing was running then).
    let (log, start) = (Log::default(), Instant::now());
    let took = [1_200, 800];
    let answer = hedge
        .race(|k| copy(log.clone(), start, k, took[k], true))
        .await;
    assert_eq!(answer, Err("copy 1 failed".to_owned()));
    assert_eq!(start.elapsed(), Duration::from_millis(1_800));
    assert_eq!(
        log.entries(),
        [
            (0, "start", 0),
            (1, "start", 1_000),
            (0, "end", 1_200),
            (1, "end", 1_800)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_ok_after_a_failure_still_wins() {
    let (log, start) = (Log::default(), Instant::now());
    let hedge = Hedge::new(&ONE_AFTER_1S);
    let answer = hedge
        .race(|k| copy(log.clone(), start, k, [1_500, 2_000][k], k == 0))
        .await;
    assert_eq!(answer, Ok(1));
    assert_eq!(start.elapsed(), Duration::from_millis(3_000));
}

#[tokio::test(start_paused = true)]
async fn each_extra_copy_is_paid_for_by_the_budget() {
    let budget = RetryBudget::builder()
        .ratio(0.0)
        .floor(0.1) // one retry per 10 s
        .build()
        .expect("valid settings");
    let hedge = Hedge::new(&TWO_AFTER_1S)
        .name("tests::paid")
        .budget(&budget);
    let (log, start) = (Log::default(), Instant::now());
    let race = hedge.race(|k| copy(log.clone(), start, k, 5_000, false));
    let (answer, events) = capture_async(race).await;
    // Copy 1 is paid for at 1 s; copy 2 is refused at 2 s; copy 0 answers at 5 s.
    assert_eq!(answer, Ok(0));
    assert_eq!(
        log.entries(),
        [
            (0, "start", 0),
            (1, "start", 1_000),
            (0, "end", 5_000),
            (1, "drop", 5_000)
        ]
    );
    let refused: Vec<_> = events
        .iter()
        .filter(|e| e.message == "retry budget exhausted")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].field("copy"), Some("2"));
    assert_eq!(refused[0].field("pipeline"), Some("tests::paid"));
    assert!(!budget.try_withdraw(Price::Retry));
}

#[tokio::test(start_paused = true)]
async fn events_say_which_copy_started_and_which_won() {
    let hedge = Hedge::new(&ONE_AFTER_1S)
        .name("tests::events")
        .agents(&const { [Agent::named("replica_b")] }, 1);
    let (log, start) = (Log::default(), Instant::now());
    let race = hedge.race(|k| copy(log.clone(), start, k, [5_000, 100][k], false));
    let (answer, events) = capture_async(race).await;
    assert_eq!(answer, Ok(1));
    let messages: Vec<_> = events
        .iter()
        .map(|e| (e.message.as_str(), e.field("copy"), e.field("by")))
        .collect();
    assert_eq!(
        messages,
        [
            ("hedging", Some("1"), Some("replica_b")),
            ("hedge won", Some("1"), Some("replica_b")),
        ]
    );
}

#[derive(Debug, PartialEq)]
enum ApiError {
    Slow,
    Open,
    Timeout,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::Timeout
    }
}

#[tokio::test(start_paused = true)]
async fn a_timeout_below_the_hedge_bounds_each_copy() {
    let hedge = Hedge::new(&ONE_AFTER_1S);
    // Each copy gets 1.5 s: copy 0 (0 s to 1.5 s) times out, copy 1 (1 s to 2.5 s) too.
    let part = || {
        pipeline::<Result<u8, ApiError>>()
            .timeout(Duration::from_millis(1_500))
            .build_part()
    };
    let calls = |_: usize| async {
        sleep(Duration::from_secs(60)).await;
        Err::<u8, _>(ApiError::Slow)
    };
    let start = Instant::now();
    assert_eq!(hedge.run(&part, &calls).await, Err(ApiError::Timeout));
    assert_eq!(start.elapsed(), Duration::from_millis(2_500));
}

#[tokio::test(start_paused = true)]
async fn a_loser_gives_its_breaker_permit_back_and_counts_as_nothing() {
    let breaker = CircuitBreaker::builder()
        .name("tests::hedge::breaker")
        .build()
        .expect("valid settings");
    let hedge = Hedge::new(&ONE_AFTER_1S);
    let part = || {
        pipeline::<Result<u8, ApiError>>()
            .circuit(&breaker, |_| true)
            .build_part()
    };
    let took = [Duration::from_secs(5), Duration::from_millis(200)];
    let calls = |n: usize| async move {
        sleep(took[n]).await;
        Ok::<_, ApiError>(n as u8)
    };
    // Copy 1 calls call 1 (an agent), so the two copies sleep differently.
    let hedge = hedge.agents(&const { [Agent::named("agent")] }, 1);
    assert_eq!(hedge.run(&part, &calls).await, Ok(1));
    let stats = breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (2, 1, 0));
}

#[tokio::test(start_paused = true)]
async fn dropping_a_hedged_call_drops_every_copy_and_gives_their_permits_back() {
    let breaker = CircuitBreaker::builder()
        .name("tests::hedge::dropped")
        .probes(2)
        .build()
        .expect("valid settings");
    let hedge = Hedge::new(&ONE_AFTER_1S);
    let part = || {
        pipeline::<Result<u8, ApiError>>()
            .circuit(&breaker, |_| true)
            .build_part()
    };
    let (log, start) = (Log::default(), Instant::now());
    let calls = |n: usize| {
        let log = log.clone();
        async move {
            copy(log, start, n, 60_000, false)
                .await
                .map(|n| n as u8)
                .map_err(|_| ApiError::Slow)
        }
    };
    let hedge = hedge.agents(&const { [Agent::named("agent")] }, 1);
    // An outer deadline at 1.5 s: both copies are running then.
    let outcome =
        tokio::time::timeout(Duration::from_millis(1_500), hedge.run(&part, &calls)).await;
    assert!(outcome.is_err());
    assert_eq!(
        log.entries(),
        [
            (0, "start", 0),
            (1, "start", 1_000),
            (0, "drop", 1_500),
            (1, "drop", 1_500)
        ]
    );
    // Both permits came back as cancellations: counted as calls, neither success nor
    // failure, and the breaker is closed.
    let stats = breaker.stats();
    assert_eq!((stats.calls, stats.successes, stats.failures), (2, 0, 0));
    assert_eq!(breaker.state(), resilience_core::State::Closed);
}
