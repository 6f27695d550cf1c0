//! The rate limiter on tokio's paused clock: exact instants, exact counts.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use resilience_core::ConfigError;
use resilience_core::rate_limit::{
    Left, Limit, RateLimited, RateLimiter, RateLimiterBuilder, ServerReport, Stats, Window,
};
use tokio::time::{Instant, sleep};

const SECOND: Duration = Duration::from_secs(1);

fn build(builder: RateLimiterBuilder) -> &'static RateLimiter {
    Box::leak(Box::new(builder.build().expect("valid settings")))
}

/// Polls `future` once, with a waker that does nothing.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Spawns one task per cost, in order, each acquiring and recording (its index, the
/// instant it was admitted or refused, the outcome); runs them all to the end.
async fn race(
    limiter: &'static RateLimiter,
    costs: &[u64],
) -> Vec<(usize, Duration, Result<(), RateLimited>)> {
    let start = Instant::now();
    let log = Rc::new(RefCell::new(Vec::new()));
    let local = tokio::task::LocalSet::new();
    for (index, &cost) in costs.iter().enumerate() {
        let log = log.clone();
        local.spawn_local(async move {
            let outcome = limiter.acquire(cost).await;
            log.borrow_mut().push((index, start.elapsed(), outcome));
        });
    }
    local.await;
    Rc::try_unwrap(log).expect("every task ended").into_inner()
}

#[tokio::test(start_paused = true)]
async fn sixty_per_minute_start_exactly_one_second_apart_after_the_burst() {
    let limiter = build(RateLimiter::builder().name("rpm").requests(60));
    let log = race(limiter, &[0; 65]).await;
    let instants: Vec<Duration> = log.iter().map(|(_, at, _)| *at).collect();
    let mut expected = vec![Duration::ZERO; 60];
    expected.extend((1..=5).map(|n| n * SECOND));
    assert_eq!(instants, expected);
    // In arrival order, every one admitted; five of them waited.
    assert!(
        log.iter()
            .enumerate()
            .all(|(i, (index, _, outcome))| i == *index && outcome.is_ok())
    );
    assert_eq!(
        limiter.stats(),
        Stats {
            waited: 5,
            rejected: 0
        }
    );
    assert_eq!(limiter.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn sequential_calls_are_paced_the_same_way() {
    let limiter = build(RateLimiter::builder().requests(60).request_burst(1));
    let start = Instant::now();
    for n in 0..4 {
        limiter.acquire(0).await.unwrap();
        assert_eq!(start.elapsed(), n * SECOND);
    }
    // A quiet spell refills the burst of one, no more.
    sleep(10 * SECOND).await;
    let at = Instant::now();
    limiter.acquire(0).await.unwrap();
    limiter.acquire(0).await.unwrap();
    assert_eq!(at.elapsed(), SECOND);
}

#[tokio::test(start_paused = true)]
async fn token_costs_and_refunds_move_the_schedule_exactly() {
    // 6 000 tokens a minute: 10ms a token.
    let limiter = build(RateLimiter::builder().tokens(6_000).token_burst(1_000));
    let start = Instant::now();
    limiter.acquire(1_000).await.unwrap(); // the whole burst
    limiter.acquire(300).await.unwrap(); // 300 tokens later: 3s
    assert_eq!(start.elapsed(), 3 * SECOND);
    // The first call used 400 of its 1 000: 600 come back at once.
    limiter.reconcile(1_000, 400);
    assert_eq!(limiter.left().tokens, Some(600));
    limiter.acquire(600).await.unwrap();
    assert_eq!(start.elapsed(), 3 * SECOND);
    // The second used 500, not 300: 200 more are owed, paid off before the next call.
    limiter.reconcile(300, 500);
    limiter.acquire(100).await.unwrap();
    assert_eq!(start.elapsed(), 6 * SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_refund_wakes_the_waiting_call_early() {
    let limiter = build(RateLimiter::builder().tokens(6_000).token_burst(1_000));
    limiter.try_acquire(1_000).unwrap();
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    let waiter = local.spawn_local(async move {
        limiter.acquire(500).await.unwrap();
        start.elapsed()
    });
    local
        .run_until(async {
            sleep(SECOND).await;
            // The first call finishes having used 200: 800 back, the waiter goes now.
            limiter.reconcile(1_000, 200);
        })
        .await;
    assert_eq!(local.run_until(waiter).await.unwrap(), SECOND);
}

#[tokio::test(start_paused = true)]
async fn a_large_call_is_not_starved_by_small_ones_behind_it() {
    // 100 tokens a second, burst 100.
    let limiter = build(
        RateLimiter::builder()
            .tokens(100)
            .per(SECOND)
            .max_wait(Duration::from_secs(60)),
    );
    limiter.try_acquire(100).unwrap();
    // The large one (100 tokens) arrives first; ten small ones (10 each) after it.
    let mut costs = vec![100];
    costs.extend([10; 10]);
    let log = race(limiter, &costs).await;
    let order: Vec<usize> = log.iter().map(|(index, _, _)| *index).collect();
    assert_eq!(
        order,
        (0..11).collect::<Vec<_>>(),
        "served in arrival order"
    );
    // The large one waits the whole second; each small one 100ms after the one before.
    let instants: Vec<Duration> = log.iter().map(|(_, at, _)| *at).collect();
    let mut expected = vec![SECOND];
    expected.extend((1..=10).map(|n| SECOND + n * Duration::from_millis(100)));
    assert_eq!(instants, expected);
}

#[tokio::test(start_paused = true)]
async fn a_wait_longer_than_max_wait_is_refused_at_once_with_the_wait_it_needed() {
    let limiter = build(
        RateLimiter::builder()
            .name("short")
            .requests(60)
            .request_burst(1)
            .max_wait(Duration::from_millis(2_500)),
    );
    let log = race(limiter, &[0; 5]).await;
    let summary: Vec<(usize, Duration, Option<Duration>)> = log
        .iter()
        .map(|(index, at, outcome)| {
            let retry_in = outcome.as_ref().err().map(RateLimited::retry_in);
            (*index, *at, retry_in)
        })
        .collect();
    assert_eq!(
        summary,
        [
            (0, Duration::ZERO, None),
            // The fourth would have waited 3s: refused at once. It took nothing, so the
            // fifth would have waited 3s too.
            (3, Duration::ZERO, Some(3 * SECOND)),
            (4, Duration::ZERO, Some(3 * SECOND)),
            (1, SECOND, None),
            (2, 2 * SECOND, None),
        ]
    );
    let refused = log[1].2.unwrap_err();
    assert_eq!(
        (refused.name(), refused.limit()),
        ("short", Limit::Requests)
    );
    assert_eq!(
        limiter.stats(),
        Stats {
            waited: 2,
            rejected: 2
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_cost_above_the_burst_is_refused_at_once_and_says_why() {
    let limiter = build(RateLimiter::builder().name("tpm").tokens(4_000));
    let start = Instant::now();
    let refused = limiter.acquire(5_000).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert!(refused.exceeds_burst());
    assert_eq!(refused.retry_in(), Duration::MAX);
    assert_eq!(refused.limit(), Limit::Tokens);
    // Nothing was taken.
    assert_eq!(limiter.left().tokens, Some(4_000));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiting_call_gives_its_place_back() {
    let limiter = build(RateLimiter::builder().requests(60).request_burst(1));
    limiter.try_acquire(0).unwrap();
    let start = Instant::now();
    {
        // Queued, polled once, then dropped.
        let mut cancelled = pin!(limiter.acquire(0));
        assert!(poll_once(cancelled.as_mut()).is_pending());
        assert_eq!(limiter.waiting(), 1);
    }
    assert_eq!(limiter.waiting(), 0);
    // The next call takes the first slot: 1s, not 2s.
    limiter.acquire(0).await.unwrap();
    assert_eq!(start.elapsed(), SECOND);
    // A call dropped before its first poll never queued at all.
    drop(limiter.acquire(0));
    assert_eq!(limiter.waiting(), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_front_of_the_queue_moves_the_next_one_up() {
    let limiter = build(RateLimiter::builder().tokens(6_000).token_burst(1_000));
    limiter.try_acquire(1_000).unwrap();
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    let front = local.spawn_local(async move { limiter.acquire(800).await });
    let behind = local.spawn_local(async move {
        limiter.acquire(100).await.unwrap();
        start.elapsed()
    });
    local
        .run_until(async {
            sleep(Duration::from_millis(500)).await;
            assert_eq!(limiter.waiting(), 2);
            front.abort();
        })
        .await;
    // With the 800-token call gone, the 100-token one goes at 1s, not 9s.
    assert_eq!(local.run_until(behind).await.unwrap(), SECOND);
    assert_eq!(limiter.left().tokens, Some(0));
}

#[tokio::test(start_paused = true)]
async fn requests_and_tokens_both_have_to_fit() {
    let limiter = build(
        RateLimiter::builder()
            .requests(2)
            .tokens(6_000)
            .per(Duration::from_secs(60)),
    );
    let start = Instant::now();
    limiter.acquire(100).await.unwrap();
    limiter.acquire(100).await.unwrap();
    // Plenty of tokens, no request: 30s (by then the tokens have refilled).
    limiter.acquire(100).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert_eq!(
        limiter.left(),
        Left {
            requests: Some(0),
            tokens: Some(5_900)
        }
    );
    // A refusal for tokens gives the request it took back.
    let limiter = build(
        RateLimiter::builder()
            .requests(10)
            .tokens(100)
            .max_wait(Duration::ZERO),
    );
    limiter.try_acquire(100).unwrap();
    let refused = limiter.try_acquire(50).unwrap_err();
    assert_eq!(refused.limit(), Limit::Tokens);
    assert_eq!(refused.retry_in(), Duration::from_secs(30));
    assert_eq!(limiter.left().requests, Some(9));
}

#[tokio::test(start_paused = true)]
async fn the_front_of_the_queue_takes_a_request_then_finds_too_few_tokens_and_waits_on() {
    // 100 tokens a second, all spent. The waiting call gets its request each time it
    // looks, and gives it back (with the queue's lock held) until its tokens are there.
    let limiter = build(RateLimiter::builder().requests(10).tokens(100).per(SECOND));
    limiter.try_acquire(100).unwrap();
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    let waiter = local.spawn_local(async move {
        limiter.acquire(50).await.unwrap();
        start.elapsed()
    });
    local
        .run_until(async {
            sleep(Duration::from_millis(200)).await;
            // A refund wakes it early: it takes its request, finds 30 tokens, gives the
            // request back and goes on waiting.
            limiter.reconcile(100, 90);
        })
        .await;
    assert_eq!(
        local.run_until(waiter).await.unwrap(),
        Duration::from_millis(400)
    );
    // One request taken at 0s (back by 0.1s), one at 0.4s.
    assert_eq!(limiter.left().requests, Some(9));
}

#[tokio::test(start_paused = true)]
async fn the_server_report_slows_the_limiter_down_never_up() {
    let limiter = build(RateLimiter::builder().requests(100).tokens(10_000));
    limiter.follow(&ServerReport {
        requests: Some(Window {
            limit: Some(200),
            remaining: 50,
            reset: None,
        }),
        tokens: Some(Window {
            limit: None,
            remaining: 2_500,
            reset: Some(Duration::from_secs(120)),
        }),
    });
    // 50 of the key's 200 is a quarter: 25 of ours. 2 500 tokens, but whole only in
    // 2m: empty for a minute, then refilling at our own pace.
    let left = limiter.left();
    assert_eq!(left.requests, Some(25));
    assert_eq!(left.tokens, Some(0));
    sleep(Duration::from_secs(60)).await;
    assert_eq!(limiter.left().tokens, Some(0));
    sleep(Duration::from_secs(30)).await;
    assert_eq!(limiter.left().tokens, Some(5_000));
    // The server saying more is left changes nothing.
    limiter.follow(&ServerReport {
        requests: Some(Window {
            limit: Some(200),
            remaining: 200,
            reset: None,
        }),
        tokens: None,
    });
    assert_eq!(limiter.left().requests, Some(100));
}

#[test]
fn blocking_callers_wait_on_their_thread() {
    let limiter = build(
        RateLimiter::builder()
            .requests(1)
            .per(Duration::from_millis(100)),
    );
    let start = std::time::Instant::now();
    limiter.acquire_blocking(0).unwrap();
    limiter.acquire_blocking(0).unwrap();
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(100), "{waited:?}");
    assert_eq!(limiter.stats().waited, 1);
}

#[tokio::test(start_paused = true)]
async fn limiters_with_one_name_share_one_quota_in_the_registry() {
    static A: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
        RateLimiter::builder()
            .name("tests::shared")
            .requests(2)
            .settings(),
    ));
    static B: RateLimiter = RateLimiter::new(ConfigError::unwrap_const(
        RateLimiter::builder()
            .name("tests::shared")
            .requests(5)
            .settings(),
    ));
    let events = support::events::capture_async(async {
        assert!(std::ptr::eq(A.register(), &A));
        assert!(std::ptr::eq(B.register(), &A));
    })
    .await
    .1;
    assert!(
        events.iter().any(|e| e.message.contains("other settings")),
        "{events:?}"
    );
    A.try_acquire(0).unwrap();
    B.register().try_acquire(0).unwrap();
    assert!(A.try_acquire(0).is_err());
    let found = resilience_core::registry::rate_limiter("tests::shared").unwrap();
    assert_eq!(found.left().requests, Some(0));
}

#[tokio::test(start_paused = true)]
async fn waits_refusals_reconciliations_and_reports_are_events() {
    let limiter = build(
        RateLimiter::builder()
            .name("events")
            .tokens(6_000)
            .token_burst(100)
            .max_wait(Duration::from_millis(800)),
    );
    let ((), events) = support::events::capture_async(async {
        limiter.acquire(100).await.unwrap();
        limiter.acquire(50).await.unwrap(); // waits 500ms
        let _ = limiter.acquire(100).await; // would wait 1s: refused
        limiter.reconcile(100, 40);
        limiter.follow(&ServerReport {
            requests: None,
            tokens: Some(Window {
                limit: None,
                remaining: 10,
                reset: None,
            }),
        });
    })
    .await;
    let rendered: Vec<String> = events.iter().map(|e| e.render()).collect();
    assert_eq!(
        rendered,
        [
            "DEBUG resilience: rate limiter admitted a call after waiting name=events waited=500ms",
            "DEBUG resilience: rate limiter rejected a call limit=tokens name=events retry_in=1s",
            "DEBUG resilience: rate limiter reconciled a call's usage estimated=100 name=events used=40",
            "DEBUG resilience: rate limiter followed the server's report name=events tokens=10",
        ]
    );
}
