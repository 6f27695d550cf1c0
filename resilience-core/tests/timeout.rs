//! Behaviour of `resilience_core::timeout`, on tokio's paused clock.

mod support;

use std::future::{Future, pending, ready};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use resilience_core::timeout::{TimedOut, Timeout, timeout, timeout_at};
use support::events::{Event, capture_async};
use tokio::time::{Instant, advance, sleep};

const SEC: Duration = Duration::from_secs(1);

/// Sets its flag when dropped: tells whether the inner future is still alive.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test(start_paused = true)]
async fn times_out_at_the_exact_instant() {
    let start = Instant::now();
    let err = timeout(10 * SEC, pending::<()>()).await.unwrap_err();
    assert_eq!(start.elapsed(), 10 * SEC);
    assert_eq!(err.after(), 10 * SEC);
    assert_eq!(err.deadline(), start + 10 * SEC);
    assert_eq!(err.to_string(), "timed out after 10s");
}

#[tokio::test(start_paused = true)]
async fn finishes_in_time_without_waiting_for_the_deadline() {
    let start = Instant::now();
    let out = timeout(10 * SEC, async {
        sleep(3 * SEC).await;
        "answer"
    })
    .await;
    assert_eq!(out, Ok("answer"));
    assert_eq!(start.elapsed(), 3 * SEC);
}

#[tokio::test(start_paused = true)]
async fn an_output_ready_at_the_deadline_wins() {
    // Both timers fire at the same instant; the inner future is polled first.
    let start = Instant::now();
    assert_eq!(timeout(10 * SEC, sleep(10 * SEC)).await, Ok(()));
    assert_eq!(start.elapsed(), 10 * SEC);
}

#[tokio::test(start_paused = true)]
async fn the_inner_future_is_dropped_when_the_deadline_passes() {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = DropFlag(dropped.clone());
    let mut call = pin!(timeout(SEC, async move {
        let _guard = guard;
        pending::<()>().await
    }));

    assert!(poll_once(call.as_mut()).is_pending());
    advance(SEC - Duration::from_millis(1)).await;
    assert!(poll_once(call.as_mut()).is_pending());
    assert!(
        !dropped.load(Ordering::SeqCst),
        "dropped before the deadline"
    );

    advance(Duration::from_millis(1)).await;
    let err = match poll_once(call.as_mut()) {
        Poll::Ready(result) => result.unwrap_err(),
        Poll::Pending => panic!("still pending at the deadline"),
    };
    assert_eq!(err.after(), SEC);
    // `call` is still alive (pinned on this stack frame), yet the inner future is gone.
    assert!(
        dropped.load(Ordering::SeqCst),
        "inner future outlived the timeout"
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_starts_at_the_first_pending_poll_not_at_creation() {
    let start = Instant::now();
    let ours = timeout(10 * SEC, pending::<()>());
    let tokios = tokio::time::timeout(10 * SEC, pending::<()>());
    assert_eq!(ours.deadline(), None);

    advance(3 * SEC).await; // both built, neither polled

    let tokio_err_at = {
        let _ = tokios.await;
        start.elapsed()
    };
    assert_eq!(tokio_err_at, 10 * SEC); // tokio: counted from creation

    let polled_at = Instant::now();
    let err = ours.await.unwrap_err();
    assert_eq!(err.deadline(), polled_at + 10 * SEC); // ours: from the first poll
    assert_eq!(start.elapsed(), 20 * SEC);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_is_not_moved_by_later_pending_polls() {
    // Three 1s steps: pending three times; the 2.5s deadline set at the first one holds.
    let start = Instant::now();
    let err = timeout(Duration::from_millis(2500), async {
        for _ in 0..3 {
            sleep(SEC).await;
        }
    })
    .await
    .unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    assert_eq!(err.deadline(), start + Duration::from_millis(2500));
}

#[tokio::test(start_paused = true)]
async fn deadline_is_known_after_the_first_pending_poll() {
    let mut call = pin!(timeout(5 * SEC, pending::<()>()));
    assert_eq!(call.deadline(), None);
    advance(2 * SEC).await;
    let polled = Instant::now();
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(call.deadline(), Some(polled + 5 * SEC));
    advance(SEC).await;
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(call.deadline(), Some(polled + 5 * SEC));
}

#[tokio::test(start_paused = true)]
async fn work_before_the_first_pending_counts_against_the_deadline() {
    // 300ms pass inside the first poll (as synchronous work would), then 400ms more.
    let start = Instant::now();
    let call = timeout(Duration::from_millis(500), async {
        advance(Duration::from_millis(300)).await;
        sleep(Duration::from_millis(400)).await;
    });
    let err = call.await.unwrap_err();
    assert_eq!(err.deadline(), start + Duration::from_millis(500));
    assert_eq!(start.elapsed(), Duration::from_millis(500));
}

#[tokio::test(start_paused = true)]
async fn timeout_at_uses_the_given_deadline_even_if_polled_late() {
    let start = Instant::now();
    let deadline = start + 5 * SEC;
    let call = timeout_at(deadline, 5 * SEC, pending::<()>());
    assert_eq!(call.deadline(), Some(deadline));
    advance(3 * SEC).await;
    let err = call.await.unwrap_err();
    assert_eq!(start.elapsed(), 5 * SEC);
    assert_eq!(err, TimedOut::new(5 * SEC, deadline));
}

#[tokio::test(start_paused = true)]
async fn timeout_at_a_past_deadline() {
    let start = Instant::now();
    advance(2 * SEC).await;
    // A ready future still gets through: the inner future is polled first.
    assert_eq!(timeout_at(start, SEC, ready(7)).await, Ok(7));
    // A pending one fails at once, reporting the deadline it was given.
    let err = timeout_at(start, SEC, pending::<()>()).await.unwrap_err();
    assert_eq!(err.deadline(), start);
    assert_eq!(start.elapsed(), 2 * SEC);
}

#[tokio::test(start_paused = true)]
async fn an_unrepresentable_deadline_never_times_out() {
    let start = Instant::now();
    let mut call = pin!(timeout(Duration::MAX, sleep(3600 * SEC)));
    assert!(poll_once(call.as_mut()).is_pending());
    assert_eq!(call.deadline(), None);
    assert_eq!(call.await, Ok(()));
    assert_eq!(start.elapsed(), 3600 * SEC);
}

/// No runtime at all: building a tokio timer here would panic ("must be called from the
/// context of a Tokio runtime"). So a ready inner future provably builds no timer. (It
/// reads the clock: the deadline counts from the first poll, as tokio's does.)
#[test]
fn a_ready_future_builds_no_timer() {
    let before = Instant::now();
    let mut call = pin!(timeout(SEC, ready(5)));
    assert_eq!(poll_once(call.as_mut()), Poll::Ready(Ok(5)));
    let deadline = call.deadline().expect("the first poll fixed the deadline");
    assert!(deadline >= before + SEC && deadline <= Instant::now() + SEC);

    // The same on a runtime whose time driver is disabled.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(timeout(SEC, async { 6 })), Ok(6));
}

/// The counterpart of the test above, so that it can fail: a pending inner future does build
/// a timer, which panics without a runtime.
#[test]
#[should_panic(expected = "Tokio")]
fn a_pending_future_builds_a_timer() {
    let mut call = pin!(timeout(SEC, pending::<()>()));
    let _ = poll_once(call.as_mut());
}

#[test]
#[should_panic(expected = "`Timeout` polled after completion")]
fn polling_after_completion_panics() {
    let mut call = pin!(timeout(SEC, ready(())));
    let _ = poll_once(call.as_mut());
    let _ = poll_once(call.as_mut());
}

/// An inner future that uses up the task's coop budget on every poll must not keep the timer
/// from firing (the timer is polled outside the budget).
#[tokio::test(start_paused = true)]
async fn fires_even_if_the_inner_future_uses_up_the_coop_budget() {
    let start = Instant::now();
    let handle = tokio::spawn(timeout(SEC, async {
        loop {
            tokio::task::coop::consume_budget().await;
        }
    }));
    tokio::task::yield_now().await; // first poll: deadline = start + 1s
    advance(2 * SEC).await;
    for _ in 0..100 {
        if handle.is_finished() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(handle.is_finished(), "the timer never fired");
    let err: TimedOut = handle.await.unwrap().unwrap_err();
    assert_eq!(err.deadline(), start + SEC);
}

#[test]
fn sizes() {
    use std::mem::size_of;
    let ours = size_of::<Timeout<std::future::Ready<()>>>();
    let tokios = size_of::<tokio::time::Timeout<std::future::Ready<()>>>();
    let sleep = size_of::<tokio::time::Sleep>();
    println!(
        "Timeout<Ready<()>>: {ours} bytes; tokio::time::Timeout<Ready<()>>: {tokios}; Sleep: {sleep}"
    );
    // The timer inline, plus `after` (16 bytes), plus tags: never more than tokio's + 24.
    assert!(ours <= tokios + 24, "{ours} > {tokios} + 24");
    assert!(ours >= sleep, "the timer must be stored inline");
}

#[tokio::test(start_paused = true)]
async fn is_send_and_spawnable() {
    fn assert_send<T: Send>(_: &T) {}
    let call = timeout(SEC, sleep(2 * SEC));
    assert_send(&call);
    let start = Instant::now();
    let err = tokio::spawn(call).await.unwrap().unwrap_err();
    assert_eq!(err.after(), SEC);
    assert_eq!(start.elapsed(), SEC);
}

// ===== the warn event =====

#[tokio::test(start_paused = true)]
async fn a_timeout_emits_one_warn_event() {
    let ((), events) = capture_async(async {
        let _ = timeout(Duration::from_millis(1500), pending::<()>()).await;
        let _ = timeout(SEC, ready(())).await; // no event on success
    })
    .await;
    assert_eq!(
        events.iter().map(Event::render).collect::<Vec<_>>(),
        ["WARN resilience: timed out after=1.5s"]
    );
}
