//! A stream that plays a script on tokio's clock: items after delays, a stall, an end.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::Sleep;

/// One line of a script.
pub enum Line<I> {
    /// Yield the item this long after the previous one (or after the first poll).
    After(Duration, I),
    /// Say nothing, ever.
    Stall,
}

/// The script's stream; `dropped` turns true when it is dropped (its connection closed).
pub struct Script<I> {
    lines: VecDeque<Line<I>>,
    sleep: Option<Pin<Box<Sleep>>>,
    dropped: Arc<AtomicBool>,
}

impl<I> Script<I> {
    pub fn new(lines: impl IntoIterator<Item = Line<I>>) -> (Self, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        let script = Script {
            lines: lines.into_iter().collect(),
            sleep: None,
            dropped: Arc::clone(&dropped),
        };
        (script, dropped)
    }
}

impl<I> Drop for Script<I> {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

impl<I: Unpin> Stream for Script<I> {
    type Item = I;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<I>> {
        let this = self.get_mut();
        let delay = match this.lines.front() {
            None => return Poll::Ready(None),
            Some(Line::Stall) => return Poll::Pending,
            Some(Line::After(delay, _)) => *delay,
        };
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(delay)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.sleep = None;
        match this.lines.pop_front() {
            Some(Line::After(_, item)) => Poll::Ready(Some(item)),
            _ => unreachable!("the front line was an item"),
        }
    }
}

use std::future::Future as _;
