//! Driving a wait to its end, in a future (tokio's timer) or on a blocked thread.
//!
//! A waiting call is a step function: given the waker to keep, it either has its answer
//! or says until when it waits at most (its deadline, or the instant its capacity comes
//! back). [`poll`] drives it from a future's `poll`, [`block_on`] from a blocking
//! function; both call the step again whenever they are woken or the instant passes.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;

use tokio::time::{Instant, Sleep};

/// Where a waiting call stands after one step.
pub(crate) enum Progress<T> {
    /// It has its answer.
    Done(T),
    /// It waits to be woken, and at most until this instant (`None`: no bound).
    Until(Option<Instant>),
}

/// The timer of one waiting call, made (one allocation) at the first wait that needs one.
#[derive(Default)]
pub(crate) struct Timer(Option<Pin<Box<Sleep>>>);

impl Timer {
    /// Ready once `at` has passed; registers the task's waker with the timer otherwise.
    fn poll_at(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = match &mut self.0 {
            Some(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
                sleep
            }
            None => self.0.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        sleep.as_mut().poll(cx)
    }
}

/// Polls a waiting call: steps it until it has its answer or has to wait.
pub(crate) fn poll<T>(
    timer: &mut Timer,
    cx: &mut Context<'_>,
    mut step: impl FnMut(&Waker) -> Progress<T>,
) -> Poll<T> {
    loop {
        match step(cx.waker()) {
            Progress::Done(answer) => return Poll::Ready(answer),
            Progress::Until(None) => return Poll::Pending,
            Progress::Until(Some(at)) => {
                if timer.poll_at(at, cx).is_pending() {
                    return Poll::Pending;
                }
            }
        }
    }
}

/// Runs a waiting call to its answer on this thread, parking it in between.
pub(crate) fn block_on<T>(mut step: impl FnMut(&Waker) -> Progress<T>) -> T {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    loop {
        match step(&waker) {
            Progress::Done(answer) => return answer,
            Progress::Until(None) => std::thread::park(),
            Progress::Until(Some(at)) => {
                let left = at.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    std::thread::park_timeout(left);
                }
            }
        }
    }
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
