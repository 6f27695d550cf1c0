//! [`FirstItem`]: a stream call, answered when its stream yields its first item.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use super::{EmptyStream, FromStreamError, StreamPolicy, Streamed};
use crate::TimedOut;

/// A stream call (a future of `Result<S, E>` with `S` a stream of `Result<T, E>`) as a
/// call that is answered by its stream's first item.
///
/// It resolves to `Ok(`[`Streamed`]`)` once the first item is `Ok` (the item is held in
/// the [`Streamed`] and handed out first), and to the call's failure when:
///
/// - the call itself fails (a 429 before the stream opens): its own `Err`;
/// - the first item is an `Err` (an error event after a `200`): that `Err`;
/// - the stream ends before any item: `Err(E::from(`[`EmptyStream`]`))`;
/// - no first item arrives within the policy's `first`, counted from the first poll (so
///   opening the connection counts): `Err(E::from(`[`TimedOut`]`))`, and the call and
///   its stream are dropped.
///
/// Awaited under a pipeline, every layer above sees this as the call: a retry retries
/// until a first item, a breaker counts a stream that starts as a success, a fallback
/// falls back on a stream that fails before it starts. After the first item nothing
/// above is asked again; see the [module docs](super) for why.
///
/// `S` must be `Unpin`, because the stream moves into the [`Streamed`] after it has been
/// polled: a stream that is not (`async_stream::stream!`, `futures::stream::unfold`)
/// is returned as `Box::pin(stream)`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use futures_util::{stream, StreamExt};
/// use resilience_core::{stream::{first_item, EmptyStream, StreamPolicy}, TimedOut};
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Overloaded, Timeout, Empty }
/// impl From<TimedOut> for ApiError { fn from(_: TimedOut) -> Self { ApiError::Timeout } }
/// impl From<EmptyStream> for ApiError { fn from(_: EmptyStream) -> Self { ApiError::Empty } }
///
/// let policy = StreamPolicy::builder().first(Duration::from_secs(10)).build().unwrap();
///
/// // A 200 whose first event is an error: the call's failure.
/// let overloaded = stream::iter([Err(ApiError::Overloaded), Ok("never seen")]);
/// let err = first_item(async { Ok(overloaded) }, &policy).await.unwrap_err();
/// assert_eq!(err, ApiError::Overloaded);
///
/// // A stream that opens and says nothing: the call fails after `first`.
/// let start = tokio::time::Instant::now();
/// let silent = stream::pending::<Result<&str, ApiError>>();
/// assert_eq!(first_item(async { Ok(silent) }, &policy).await.unwrap_err(), ApiError::Timeout);
/// assert_eq!(start.elapsed(), Duration::from_secs(10));
///
/// // A stream that starts: the first item is handed out first.
/// let tokens = stream::iter([Ok::<_, ApiError>("Hel"), Ok("lo")]);
/// let answer = first_item(async { Ok(tokens) }, &policy).await.unwrap();
/// assert_eq!(answer.map(Result::unwrap).collect::<String>().await, "Hello");
/// # }
/// ```
pub fn first_item<F, S, T, E>(call: F, policy: &StreamPolicy) -> FirstItem<F, S>
where
    F: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>> + Unpin,
    E: FromStreamError,
{
    FirstItem {
        call,
        stream: None,
        deadline: None,
        started: None,
        policy: *policy,
    }
}

pin_project! {
    /// What [`first_item`] returns: the call, then its stream's first item.
    #[must_use = "futures do nothing unless polled"]
    pub struct FirstItem<F, S> {
        #[pin]
        call: F,
        // The call's stream, once it has opened; taken when the call is answered.
        stream: Option<S>,
        // The `first` deadline, set at the first poll when there is one.
        #[pin]
        deadline: Option<Sleep>,
        // The first poll's instant: the start of the call, for the "first item" event.
        started: Option<Instant>,
        policy: StreamPolicy,
    }
}

impl<F, S, T, E> Future for FirstItem<F, S>
where
    F: Future<Output = Result<S, E>>,
    S: Stream<Item = Result<T, E>> + Unpin,
    E: FromStreamError,
{
    type Output = Result<Streamed<S>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let started = match *this.started {
            Some(started) => started,
            None => {
                let now = Instant::now();
                *this.started = Some(now);
                // A deadline past the clock's range is no deadline (as for `#[timeout]`).
                if let Some(at) = this.policy.first().and_then(|first| now.checked_add(first)) {
                    this.deadline.set(Some(tokio::time::sleep_until(at)));
                }
                now
            }
        };
        let name = this.policy.name();
        if this.stream.is_none() {
            match this.call.poll(cx) {
                Poll::Ready(Ok(opened)) => *this.stream = Some(opened),
                Poll::Ready(Err(err)) => {
                    failed_before_first(name, "error", started);
                    return Poll::Ready(Err(err));
                }
                Poll::Pending => {
                    return poll_first_deadline(
                        cx,
                        this.deadline,
                        this.stream,
                        this.policy,
                        started,
                    );
                }
            }
        }
        let Some(stream) = this.stream.as_mut() else {
            unreachable!("the stream was opened above")
        };
        match Pin::new(stream).poll_next(cx) {
            Poll::Ready(Some(Ok(first))) => {
                tracing::debug!(
                    target: "resilience",
                    name,
                    after_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "stream: first item"
                );
                let Some(stream) = this.stream.take() else {
                    unreachable!("the stream was opened above")
                };
                Poll::Ready(Ok(Streamed::new(
                    Ok(first),
                    stream,
                    this.policy.idle(),
                    name,
                )))
            }
            Poll::Ready(Some(Err(err))) => {
                *this.stream = None;
                failed_before_first(name, "error item", started);
                Poll::Ready(Err(err))
            }
            Poll::Ready(None) => {
                *this.stream = None;
                failed_before_first(name, "ended", started);
                Poll::Ready(Err(E::from(EmptyStream::new(name))))
            }
            Poll::Pending => {
                poll_first_deadline(cx, this.deadline, this.stream, this.policy, started)
            }
        }
    }
}

/// Nothing yet: pending until the `first` deadline, then the call's `TimedOut` (and the
/// stream is dropped, closing its connection; the call itself goes with this future).
fn poll_first_deadline<S, T, E: From<TimedOut>>(
    cx: &mut Context<'_>,
    deadline: Pin<&mut Option<Sleep>>,
    stream: &mut Option<S>,
    policy: &StreamPolicy,
    started: Instant,
) -> Poll<Result<T, E>> {
    let (Some(mut sleep), Some(first)) = (deadline.as_pin_mut(), policy.first()) else {
        return Poll::Pending;
    };
    if sleep.as_mut().poll(cx).is_pending() {
        return Poll::Pending;
    }
    *stream = None;
    failed_before_first(policy.name(), "timed out", started);
    Poll::Ready(Err(E::from(TimedOut::new(first, sleep.deadline()))))
}

/// The event for a call that failed before its first item.
#[cold]
#[inline(never)]
fn failed_before_first(name: &'static str, reason: &'static str, started: Instant) {
    tracing::info!(
        target: "resilience",
        name,
        reason,
        after_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "stream: failed before its first item"
    );
}
