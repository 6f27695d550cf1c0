//! [`Streamed`]: the stream a stream call answers with, its first item held for the
//! caller, an idle deadline over the rest.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use futures_core::{FusedStream, Stream};
use tokio::time::{Instant, Sleep};

use crate::TimedOut;

/// The stream of a call that has answered: its first item (already received, handed out
/// first, never lost), then the rest of the stream, each item waited for at most `idle`.
///
/// What [`first_item`](super::first_item) (and so a `#[stream]` function) answers with.
/// It implements [`Stream`] with the inner stream's items. A wait longer than `idle`
/// yields one `Err(E::from(TimedOut))` and ends the stream (the inner stream is
/// dropped, closing its connection). Every later poll yields `None`, as after the inner
/// stream's own end.
///
/// # What an item costs
///
/// An item that is ready costs a branch on the held first item, the inner poll, and one
/// store: the clock is not read and the timer is not touched. The idle deadline is set
/// only when the caller has to wait (the inner stream is pending), from that instant: a
/// gap is the time the caller spends waiting for the producer, not the time the caller
/// took to come back for the next item. The timer is made (one allocation, so that
/// `Streamed` stays `Unpin`) the first time the caller waits, and reset after that.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use futures_util::{stream, StreamExt};
/// use resilience_core::{stream::{first_item, EmptyStream, StreamPolicy}, TimedOut};
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Timeout, Empty }
/// impl From<TimedOut> for ApiError { fn from(_: TimedOut) -> Self { ApiError::Timeout } }
/// impl From<EmptyStream> for ApiError { fn from(_: EmptyStream) -> Self { ApiError::Empty } }
///
/// static POLICY: StreamPolicy = resilience_core::ConfigError::unwrap_const(
///     StreamPolicy::builder().idle(Duration::from_secs(5)).build(),
/// );
/// // Two tokens, then a server that stops talking.
/// let chunks = stream::iter([Ok("Hel"), Ok("lo")]).chain(stream::pending());
/// let mut answer = first_item(async { Ok::<_, ApiError>(chunks) }, &POLICY).await.unwrap();
/// assert_eq!(answer.next().await, Some(Ok("Hel")));
/// assert_eq!(answer.next().await, Some(Ok("lo")));
/// let silent = tokio::time::Instant::now();
/// assert_eq!(answer.next().await, Some(Err(ApiError::Timeout)));
/// assert_eq!(silent.elapsed(), Duration::from_secs(5));
/// assert_eq!(answer.next().await, None);
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Streamed<S: Stream> {
    /// The first item, received while the call was answered; handed out first.
    first: Option<S::Item>,
    /// `None` once the stream has ended (its own end, or the idle deadline).
    stream: Option<S>,
    idle: Option<Duration>,
    /// The idle timer, made the first time the caller waits.
    timer: Option<Pin<Box<Sleep>>>,
    /// The timer's deadline is for the current wait (reset by each item).
    armed: bool,
    name: &'static str,
}

impl<S: Stream> Streamed<S> {
    /// The stream whose `first` item has been received, the rest still in `stream`.
    #[inline(always)]
    pub(super) const fn new(
        first: S::Item,
        stream: S,
        idle: Option<Duration>,
        name: &'static str,
    ) -> Self {
        Streamed {
            first: Some(first),
            stream: Some(stream),
            idle,
            timer: None,
            armed: false,
            name,
        }
    }

    /// The inner stream, unless the stream has ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use futures_util::{stream, StreamExt};
    /// use resilience_core::stream::{first_item, StreamPolicy};
    /// # #[derive(Debug)] struct E;
    /// # impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
    /// # impl From<resilience_core::stream::EmptyStream> for E { fn from(_: resilience_core::stream::EmptyStream) -> Self { E } }
    ///
    /// let chunks = stream::iter([Ok::<u8, E>(1)]);
    /// let mut answer = first_item(async { Ok(chunks) }, &StreamPolicy::DEFAULT).await.unwrap();
    /// assert!(answer.get_ref().is_some());
    /// while answer.next().await.is_some() {}
    /// assert!(answer.get_ref().is_none()); // ended: the inner stream is dropped
    /// # }
    /// ```
    pub fn get_ref(&self) -> Option<&S> {
        self.stream.as_ref()
    }
}

// The held item is never pinned (it is moved out as it is), so only the stream's own
// pinning matters.
impl<S: Stream + Unpin> Unpin for Streamed<S> {}

impl<S, T, E> Stream for Streamed<S>
where
    S: Stream<Item = Result<T, E>> + Unpin,
    E: From<TimedOut>,
{
    type Item = Result<T, E>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>> {
        let this = self.get_mut();
        // A test of the discriminant per item; the item itself is moved out only once.
        if this.first.is_some() {
            return Poll::Ready(this.first.take());
        }
        let Some(stream) = this.stream.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(stream).poll_next(cx);
        // Looked at, not taken apart: the item goes back as it came, in place.
        match &polled {
            // The next wait starts its own gap; no clock read until then.
            Poll::Ready(Some(_)) => this.armed = false,
            Poll::Ready(None) => this.stream = None,
            Poll::Pending => return this.poll_idle(cx),
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let held = usize::from(self.first.is_some());
        match &self.stream {
            None => (held, Some(held)),
            // An idle deadline may end the stream early, with one more item (its error).
            Some(stream) => (
                held,
                stream
                    .size_hint()
                    .1
                    .and_then(|high| high.checked_add(held + 1)),
            ),
        }
    }
}

impl<S: Stream> Streamed<S> {
    /// The caller waits: start the gap's deadline if this wait has none yet, and end the
    /// stream with `TimedOut` once it passes.
    #[inline(never)]
    fn poll_idle<T, E>(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, E>>>
    where
        E: From<TimedOut>,
    {
        let Some(idle) = self.idle else {
            return Poll::Pending;
        };
        let timer = match (&mut self.timer, self.armed) {
            (Some(timer), true) => timer,
            (timer, _) => {
                // A deadline past the clock's range is no deadline (as for `#[timeout]`).
                let Some(at) = Instant::now().checked_add(idle) else {
                    return Poll::Pending;
                };
                self.armed = true;
                match timer {
                    Some(timer) => {
                        timer.as_mut().reset(at);
                        timer
                    }
                    None => timer.insert(Box::pin(tokio::time::sleep_until(at))),
                }
            }
        };
        match timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                let deadline = timer.deadline();
                self.stream = None;
                self.timer = None;
                tracing::warn!(target: "resilience", name = self.name, idle = ?idle, "stream idle: no item within the idle deadline, ending it");
                Poll::Ready(Some(Err(E::from(TimedOut::new(idle, deadline)))))
            }
        }
    }
}

impl<S, T, E> FusedStream for Streamed<S>
where
    S: Stream<Item = Result<T, E>> + Unpin,
    E: From<TimedOut>,
{
    fn is_terminated(&self) -> bool {
        self.first.is_none() && self.stream.is_none()
    }
}

impl<S: Stream> core::fmt::Debug for Streamed<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Streamed")
            .field("name", &self.name)
            .field("first_held", &self.first.is_some())
            .field("ended", &self.stream.is_none())
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}
