//! `#[bulkhead]`: at most `max` at once, a bounded queue, permits never leaked.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use resilience::{BulkheadFull, TimedOut, bulkhead, registry, retry, timeout};
use tokio::time::{Instant, sleep};

const SECOND: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq)]
enum ApiError {
    Full(BulkheadFull),
    Timeout(TimedOut),
}

impl From<BulkheadFull> for ApiError {
    fn from(e: BulkheadFull) -> Self {
        ApiError::Full(e)
    }
}

impl From<TimedOut> for ApiError {
    fn from(e: TimedOut) -> Self {
        ApiError::Timeout(e)
    }
}

static RUNNING: AtomicU32 = AtomicU32::new(0);
static MOST: AtomicU32 = AtomicU32::new(0);

#[bulkhead(max = 2, queue = 2, name = "pool")]
async fn work(start: Instant) -> Result<Duration, ApiError> {
    let running = RUNNING.fetch_add(1, SeqCst) + 1;
    MOST.fetch_max(running, SeqCst);
    let began = start.elapsed();
    sleep(SECOND).await;
    RUNNING.fetch_sub(1, SeqCst);
    Ok(began)
}

#[tokio::test(start_paused = true)]
async fn two_at_once_two_queued_the_rest_refused() {
    let start = Instant::now();
    let (a, b, c, d, e) = tokio::join!(
        work(start),
        work(start),
        work(start),
        work(start),
        work(start)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()],
        [Duration::ZERO, Duration::ZERO, SECOND, SECOND]
    );
    let Err(ApiError::Full(full)) = e else {
        panic!("the fifth call should be refused");
    };
    assert_eq!(
        (full.name(), full.max(), full.waited()),
        ("pool", 2, Duration::ZERO)
    );
    assert_eq!(MOST.load(SeqCst), 2);
    let bulkhead = registry::bulkhead("pool").unwrap();
    assert_eq!((bulkhead.in_use(), bulkhead.queued()), (0, 0));
    assert_eq!(bulkhead.stats().rejected, 1);
}

#[bulkhead(max = 1, queue = 1, max_wait = 1500ms, name = "impatient")]
async fn slow(hold: Duration) -> Result<(), ApiError> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_queued_call_gives_up_after_max_wait() {
    let start = Instant::now();
    let (first, second) = tokio::join!(slow(2 * SECOND), async {
        let refused = slow(SECOND).await;
        (refused, start.elapsed())
    });
    first.unwrap();
    let (Err(ApiError::Full(full)), at) = second else {
        panic!("expected a refusal");
    };
    assert_eq!(
        (full.waited(), at),
        (Duration::from_millis(1_500), Duration::from_millis(1_500))
    );
}

#[timeout(1s)]
#[bulkhead(max = 1, name = "deadline")]
async fn hangs(hold: Duration) -> Result<(), ApiError> {
    sleep(hold).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_call_dropped_by_a_deadline_gives_its_permit_back() {
    assert!(matches!(
        hangs(10 * SECOND).await,
        Err(ApiError::Timeout(_))
    ));
    assert_eq!(registry::bulkhead("deadline").unwrap().in_use(), 0);
    hangs(Duration::ZERO).await.unwrap();
}

#[bulkhead(max = 1, name = "panics")]
async fn panics(boom: bool) -> Result<(), ApiError> {
    if boom {
        panic!("the call blew up");
    }
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_call_that_panics_gives_its_permit_back() {
    let crashed = tokio::spawn(panics(true)).await;
    assert!(crashed.unwrap_err().is_panic());
    assert_eq!(registry::bulkhead("panics").unwrap().in_use(), 0);
    panics(false).await.unwrap();
}

static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

#[retry(attempts = 3, base = 1s, jitter = "none")]
#[bulkhead(max = 1, name = "retried")]
async fn retried(hold: Duration) -> Result<Duration, ApiError> {
    ATTEMPTS.fetch_add(1, SeqCst);
    sleep(hold).await;
    Ok(hold)
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_retries_a_full_bulkhead_with_its_backoff() {
    let start = Instant::now();
    let (long, short) = tokio::join!(retried(SECOND + SECOND / 2), retried(Duration::ZERO));
    assert!(long.is_ok() && short.is_ok());
    // The short one is refused at 0s and 1s (backoff 1s, 2s), admitted at 3s.
    assert_eq!(start.elapsed(), 3 * SECOND);
    assert_eq!(ATTEMPTS.load(SeqCst), 2);
}

#[bulkhead(max = 1, queue = 4)]
fn blocking(hold: Duration) -> Result<(), ApiError> {
    let running = RUNNING_BLOCKING.fetch_add(1, SeqCst) + 1;
    MOST_BLOCKING.fetch_max(running, SeqCst);
    std::thread::sleep(hold);
    RUNNING_BLOCKING.fetch_sub(1, SeqCst);
    Ok(())
}

static RUNNING_BLOCKING: AtomicU32 = AtomicU32::new(0);
static MOST_BLOCKING: AtomicU32 = AtomicU32::new(0);

#[test]
fn blocking_callers_take_turns() {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| blocking(Duration::from_millis(20))))
            .collect();
        for thread in threads {
            thread.join().unwrap().unwrap();
        }
    });
    assert_eq!(MOST_BLOCKING.load(SeqCst), 1);
}
