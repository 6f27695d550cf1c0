//! The bulkhead on tokio's paused clock: exact instants, exact counts.

mod support;

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use resilience_core::bulkhead::{Bulkhead, BulkheadBuilder, BulkheadFull, Stats};
use resilience_core::pipeline::{Flow, pipeline};
use tokio::time::{Instant, sleep};

const SECOND: Duration = Duration::from_secs(1);

fn build(builder: BulkheadBuilder) -> &'static Bulkhead {
    Box::leak(Box::new(builder.build().expect("valid settings")))
}

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// One task per entry of `holds`, spawned in order: each takes a permit (or is
/// refused), holds it for its duration, and records (index, admitted at, refused after).
async fn race(
    bulkhead: &'static Bulkhead,
    holds: &[Duration],
) -> Vec<(usize, Duration, Option<Duration>)> {
    let start = Instant::now();
    let log = Rc::new(RefCell::new(Vec::new()));
    let local = tokio::task::LocalSet::new();
    for (index, &hold) in holds.iter().enumerate() {
        let log = log.clone();
        local.spawn_local(async move {
            match bulkhead.acquire().await {
                Ok(permit) => {
                    log.borrow_mut().push((index, start.elapsed(), None));
                    sleep(hold).await;
                    drop(permit);
                }
                Err(full) => log
                    .borrow_mut()
                    .push((index, start.elapsed(), Some(full.waited()))),
            }
        });
    }
    local.await;
    Rc::try_unwrap(log).expect("every task ended").into_inner()
}

#[tokio::test(start_paused = true)]
async fn at_most_max_at_once_the_queue_served_in_arrival_order() {
    let bulkhead = build(Bulkhead::builder().name("pool").max(2).queue(3));
    let log = race(bulkhead, &[SECOND; 6]).await;
    assert_eq!(
        log,
        [
            (0, Duration::ZERO, None),
            (1, Duration::ZERO, None),
            // The queue holds three; the sixth is refused at once.
            (5, Duration::ZERO, Some(Duration::ZERO)),
            (2, SECOND, None),
            (3, SECOND, None),
            (4, 2 * SECOND, None),
        ]
    );
    assert_eq!(
        bulkhead.stats(),
        Stats {
            waited: 3,
            rejected: 1
        }
    );
    assert_eq!((bulkhead.in_use(), bulkhead.queued()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_call_waits_at_most_max_wait() {
    let bulkhead = build(
        Bulkhead::builder()
            .max(1)
            .queue(5)
            .max_wait(Duration::from_millis(1_500)),
    );
    let log = race(bulkhead, &[SECOND, SECOND, SECOND]).await;
    assert_eq!(
        log,
        [
            (0, Duration::ZERO, None),
            (1, SECOND, None),
            // Its turn would come at 2s; it gives up at 1.5s.
            (
                2,
                Duration::from_millis(1_500),
                Some(Duration::from_millis(1_500))
            ),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_dropped_waiting_call_leaves_the_queue() {
    let bulkhead = build(Bulkhead::builder().max(1).queue(1));
    let held = bulkhead.try_acquire().unwrap();
    {
        let mut waiting = pin!(bulkhead.acquire());
        assert!(poll_once(waiting.as_mut()).is_pending());
        assert_eq!(bulkhead.queued(), 1);
        // The queue is full: another call is refused.
        assert!(bulkhead.acquire().await.is_err());
    }
    assert_eq!(bulkhead.queued(), 0);
    drop(held);
    assert_eq!(bulkhead.in_use(), 0);
    let _permit = bulkhead.acquire().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_freed_permit_goes_to_the_queue_not_to_a_newcomer() {
    let bulkhead = build(Bulkhead::builder().max(1).queue(1));
    let held = bulkhead.try_acquire().unwrap();
    let mut waiting = pin!(bulkhead.acquire());
    assert!(poll_once(waiting.as_mut()).is_pending());
    drop(held);
    // A newcomer finds someone waiting and is refused, though a permit is free.
    assert!(bulkhead.try_acquire().is_err());
    let permit = waiting.await.unwrap();
    assert_eq!(bulkhead.in_use(), 1);
    drop(permit);
}

#[derive(Debug)]
enum E {
    Full(#[allow(dead_code)] BulkheadFull),
    Failed,
}

impl From<BulkheadFull> for E {
    fn from(full: BulkheadFull) -> Self {
        E::Full(full)
    }
}

#[tokio::test(start_paused = true)]
async fn the_layer_holds_the_permit_for_the_call_and_releases_it_however_it_ends() {
    let bulkhead = build(Bulkhead::builder().max(1));
    // Completed, with an error: released.
    let mut p = pipeline::<Result<u8, E>>().bulkhead(bulkhead).build();
    let answer = p
        .run(|_| async {
            assert_eq!(bulkhead.in_use(), 1);
            Err(E::Failed)
        })
        .await;
    assert!(matches!(answer, Err(E::Failed)));
    assert_eq!(bulkhead.in_use(), 0);

    // Dropped mid-call: released.
    {
        let mut p = pipeline::<Result<u8, E>>().bulkhead(bulkhead).build();
        assert!(matches!(p.enter(), Flow::Call(0)));
        let mut call = pin!(p.guard(std::future::pending()));
        assert!(poll_once(call.as_mut()).is_pending());
        assert_eq!(bulkhead.in_use(), 1);
    }
    assert_eq!(bulkhead.in_use(), 0);

    // Panicked: released while unwinding.
    let caught = std::panic::catch_unwind(|| {
        let mut p = pipeline::<Result<u8, E>>().bulkhead(bulkhead).build();
        p.run_blocking(|_| panic!("the call blew up"))
    });
    assert!(caught.is_err());
    assert_eq!(bulkhead.in_use(), 0);

    // Full: the call is refused with `E::from(BulkheadFull)`, no delay to wait out.
    let held = bulkhead.try_acquire().unwrap();
    let mut p = pipeline::<Result<u8, E>>().bulkhead(bulkhead).build();
    assert!(matches!(p.enter(), Flow::Done(Err(E::Full(_)))));
    drop(held);
}

#[tokio::test(start_paused = true)]
async fn a_queued_pipeline_waits_then_calls() {
    let bulkhead = build(Bulkhead::builder().max(1).queue(1));
    let held = bulkhead.try_acquire().unwrap();
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    let queued = local.spawn_local(async move {
        let mut p = pipeline::<Result<u8, E>>().bulkhead(bulkhead).build();
        let answer = p.run(|_| async { Ok(3) }).await;
        (answer.unwrap(), start.elapsed())
    });
    local
        .run_until(async {
            sleep(2 * SECOND).await;
            drop(held);
        })
        .await;
    assert_eq!(local.run_until(queued).await.unwrap(), (3, 2 * SECOND));
    assert_eq!(bulkhead.in_use(), 0);
}

#[test]
fn a_blocking_caller_is_handed_the_permit_another_thread_frees() {
    let bulkhead = build(Bulkhead::builder().max(1).queue(1));
    let held = bulkhead.try_acquire().unwrap();
    std::thread::scope(|scope| {
        let waiter = scope.spawn(|| bulkhead.acquire_blocking().map(drop));
        while bulkhead.queued() == 0 {
            std::thread::yield_now();
        }
        drop(held);
        waiter.join().unwrap().unwrap();
    });
    assert_eq!((bulkhead.in_use(), bulkhead.stats().waited), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn admissions_after_a_wait_and_refusals_are_events() {
    let bulkhead = build(
        Bulkhead::builder()
            .name("events")
            .max(1)
            .queue(1)
            .max_wait(SECOND),
    );
    let ((), events) = support::events::capture_async(async {
        let held = bulkhead.try_acquire().unwrap();
        let mut queued = pin!(bulkhead.acquire());
        assert!(poll_once(queued.as_mut()).is_pending());
        sleep(Duration::from_millis(300)).await;
        assert!(bulkhead.try_acquire().is_err()); // the queue is in the way
        drop(held);
        drop(queued.await.unwrap());
    })
    .await;
    let rendered: Vec<String> = events.iter().map(|e| e.render()).collect();
    assert_eq!(
        rendered,
        [
            "DEBUG resilience: bulkhead rejected a call max=1 name=events waited=0ns",
            "DEBUG resilience: bulkhead admitted a call after waiting name=events waited=300ms",
        ]
    );
}
