//! Load: 10 000 concurrent calls on a multi-thread runtime through one rate limiter and
//! one bulkhead, a tenth of them aborted at random points, on the real clock.
//!
//! The limiter allows 20 000 tokens and 5 000 requests a year; every call estimates 10
//! tokens and uses exactly what it estimated. So exactly 2 000 calls are admitted,
//! whatever the interleaving, and the 5 000 requests are never the limit: every call
//! refused for its tokens must have given back the request it took. The bulkhead lets 8
//! admitted calls run at once and queues the rest. At the end the books must match:
//!
//! - tokens left 0, requests left 3 000 (not one lost or taken twice);
//! - every call that asked was admitted or refused (`asked - 2 000` refusals);
//! - never more than 8 inside the bulkhead, none still held or queued, none refused;
//! - every admitted call entered its body, or was aborted on the way (in the bulkhead's
//!   queue), and every body that started either finished or was aborted inside.
//!
//! A year is long enough that the buckets refill by less than one token during the test
//! (a token takes 26 minutes to come back), so the counts are exact on the real clock.
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use resilience::{BulkheadFull, RateLimited, bulkhead, rate_limit, registry};

const CALLS: u64 = 10_000;
const TOKENS: u64 = 20_000;
const REQUESTS: u64 = 5_000;
const COST: u64 = 10;
const MAX: u64 = 8;

#[derive(Debug)]
enum LoadError {
    Limited(#[allow(dead_code)] RateLimited),
    Full(#[allow(dead_code)] BulkheadFull),
}

impl From<RateLimited> for LoadError {
    fn from(e: RateLimited) -> Self {
        LoadError::Limited(e)
    }
}

impl From<BulkheadFull> for LoadError {
    fn from(e: BulkheadFull) -> Self {
        LoadError::Full(e)
    }
}

static ASKED: AtomicU64 = AtomicU64::new(0);
static ENTERED: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);
static ABANDONED: AtomicU64 = AtomicU64::new(0);
static INSIDE: AtomicU64 = AtomicU64::new(0);
static MOST_INSIDE: AtomicU64 = AtomicU64::new(0);

/// Runs in the expansion before the call asks the limiter: counts the calls that asked.
fn estimate(yields: &u32) -> u64 {
    let _ = yields;
    ASKED.fetch_add(1, SeqCst);
    COST
}

fn used(result: &Result<(), LoadError>) -> Option<u64> {
    result.as_ref().ok().map(|()| COST)
}

#[rate_limit(requests = 5_000, tokens = 20_000, per = 8760h, cost = estimate, usage = used,
             max_wait = 0s, name = "load")]
#[bulkhead(max = 8, queue = 10_000, name = "load")]
async fn call(yields: u32) -> Result<(), LoadError> {
    let mut body = Body::enter();
    for _ in 0..yields {
        tokio::task::yield_now().await;
    }
    body.finished = true;
    Ok(())
}

/// A body in progress: counted in when it starts, out when it ends, as finished or as
/// abandoned (its future dropped by an abort).
struct Body {
    finished: bool,
}

impl Body {
    fn enter() -> Self {
        ENTERED.fetch_add(1, SeqCst);
        let inside = INSIDE.fetch_add(1, SeqCst) + 1;
        MOST_INSIDE.fetch_max(inside, SeqCst);
        Body { finished: false }
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, SeqCst);
        let counter = if self.finished { &FINISHED } else { &ABANDONED };
        counter.fetch_add(1, SeqCst);
    }
}

/// splitmix64: the same calls, yields and aborts on every run.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_calls_through_one_limiter_and_one_bulkhead() {
    let mut tasks = Vec::with_capacity(CALLS as usize);
    for n in 0..CALLS {
        let yields = (mix(n) % 4) as u32;
        tasks.push(tokio::spawn(call(yields)));
    }
    // A tenth of the calls are aborted, each after a random short delay: before they
    // asked, while queued in the bulkhead, or inside their body.
    let mut aborters = Vec::new();
    for n in (0..CALLS).filter(|n| mix(n + CALLS) % 10 == 0) {
        let abort = tasks[n as usize].abort_handle();
        let delay = Duration::from_micros(mix(n + 2 * CALLS) % 2_000);
        aborters.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            abort.abort();
        }));
    }
    let (mut admitted_ok, mut limited, mut full, mut aborted) = (0u64, 0u64, 0u64, 0u64);
    for task in tasks {
        match task.await {
            Ok(Ok(())) => admitted_ok += 1,
            Ok(Err(LoadError::Limited(_))) => limited += 1,
            Ok(Err(LoadError::Full(_))) => full += 1,
            Err(e) if e.is_cancelled() => aborted += 1,
            Err(e) => panic!("a call panicked: {e}"),
        }
    }
    for aborter in aborters {
        aborter.await.unwrap();
    }

    let limiter = registry::rate_limiter("load").expect("registered on first call");
    let bulkhead = registry::bulkhead("load").expect("registered on first call");
    let asked = ASKED.load(SeqCst);
    let admitted = TOKENS / COST;
    // The limiter's books.
    let left = limiter.left();
    assert_eq!(left.tokens, Some(0), "every token taken once");
    assert_eq!(
        left.requests,
        Some(REQUESTS - admitted),
        "refused calls gave their request back"
    );
    // A refusal is decided in the poll that asks, which then ends the task: every
    // refused call's task returned its refusal.
    assert_eq!(limiter.stats().rejected, asked - admitted);
    assert_eq!(limiter.stats().rejected, limited);
    assert_eq!(limiter.waiting(), 0);
    // The bulkhead's.
    assert!(
        MOST_INSIDE.load(SeqCst) <= MAX,
        "{} inside at once",
        MOST_INSIDE.load(SeqCst)
    );
    assert_eq!(
        (bulkhead.in_use(), bulkhead.queued()),
        (0, 0),
        "a permit leaked"
    );
    assert_eq!((full, bulkhead.stats().rejected), (0, 0));
    // Every call accounted for.
    let (entered, finished, abandoned) = (
        ENTERED.load(SeqCst),
        FINISHED.load(SeqCst),
        ABANDONED.load(SeqCst),
    );
    assert_eq!(entered, finished + abandoned);
    assert_eq!(finished, admitted_ok);
    assert!(
        entered <= admitted,
        "{entered} bodies for {admitted} admissions"
    );
    assert_eq!(admitted_ok + limited + full + aborted, CALLS);
    assert!(aborted > 0 && abandoned + (admitted - entered) <= aborted);
    eprintln!(
        "{CALLS} calls: {asked} asked, {admitted} admitted ({admitted_ok} finished, {} aborted \
         queued, {abandoned} aborted inside), {limited} refused, {aborted} aborted in all, \
         at most {} inside the bulkhead",
        admitted - entered,
        MOST_INSIDE.load(SeqCst)
    );
}
