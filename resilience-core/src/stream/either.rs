//! [`Either`]: one stream type for calls whose streams have types of their own, and
//! [`left`] / [`right`], which put a call's stream on one side.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

/// One of two streams with the same items: how the body and the fallback agents of a
/// `#[stream]` function, each with a stream type of its own, answer with one type
/// (nested: `Left(body)`, `Right(Left(agent 1))`, `Right(Right(agent 2))`, made by
/// [`left`] and [`right`] around each call). It adds a branch per item and no
/// allocation.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::{stream, StreamExt};
/// use resilience_core::stream::Either;
///
/// let mut answers = vec![
///     Either::Left(stream::iter([1, 2])),
///     Either::Right(stream::iter([3])),
/// ];
/// assert_eq!(answers.remove(0).collect::<Vec<_>>().await, [1, 2]);
/// assert_eq!(answers.remove(0).collect::<Vec<_>>().await, [3]);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first kind of stream.
    Left(A),
    /// The second kind of stream.
    Right(B),
}

impl<I, A, B> Stream for Either<A, B>
where
    A: Stream<Item = I> + Unpin,
    B: Stream<Item = I> + Unpin,
{
    type Item = I;

    #[inline(always)]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<I>> {
        match self.get_mut() {
            Either::Left(stream) => Pin::new(stream).poll_next(cx),
            Either::Right(stream) => Pin::new(stream).poll_next(cx),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Either::Left(stream) => stream.size_hint(),
            Either::Right(stream) => stream.size_hint(),
        }
    }
}

/// The call's stream as the left side of an [`Either`]: `Ok(s)` becomes
/// `Ok(Either::Left(s))`, errors pass as they are.
///
/// A generic function rather than a closure `|s| Either::Left(s)`: a closure over a
/// stream type that borrows (an `impl Stream` capturing the function's lifetimes) is
/// inferred as higher-ranked, and the caller's future then fails to be `Send`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::stream;
/// use resilience_core::stream::{left, Either};
///
/// let opened = left::<_, _, stream::Empty<u8>, ()>(async { Ok(stream::iter([1u8])) }).await;
/// assert!(matches!(opened, Ok(Either::Left(_))));
/// # }
/// ```
#[inline(always)]
pub fn left<F, A, B, E>(call: F) -> InLeft<F, B>
where
    F: Future<Output = Result<A, E>>,
{
    InLeft {
        call,
        _right: PhantomData,
    }
}

/// The call's stream as the right side of an [`Either`] (see [`left`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use futures_util::stream;
/// use resilience_core::stream::{right, Either};
///
/// let opened = right::<_, stream::Empty<u8>, _, ()>(async { Ok(stream::iter([1u8])) }).await;
/// assert!(matches!(opened, Ok(Either::Right(_))));
/// # }
/// ```
#[inline(always)]
pub fn right<F, A, B, E>(call: F) -> InRight<F, A>
where
    F: Future<Output = Result<B, E>>,
{
    InRight {
        call,
        _left: PhantomData,
    }
}

pin_project! {
    /// What [`left`] returns.
    #[must_use = "futures do nothing unless polled"]
    pub struct InLeft<F, B> {
        #[pin]
        call: F,
        _right: PhantomData<fn() -> B>,
    }
}

pin_project! {
    /// What [`right`] returns.
    #[must_use = "futures do nothing unless polled"]
    pub struct InRight<F, A> {
        #[pin]
        call: F,
        _left: PhantomData<fn() -> A>,
    }
}

impl<F, A, B, E> Future for InLeft<F, B>
where
    F: Future<Output = Result<A, E>>,
{
    type Output = Result<Either<A, B>, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .call
            .poll(cx)
            .map(|opened| opened.map(Either::Left))
    }
}

impl<F, A, B, E> Future for InRight<F, A>
where
    F: Future<Output = Result<B, E>>,
{
    type Output = Result<Either<A, B>, E>;

    #[inline(always)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .call
            .poll(cx)
            .map(|opened| opened.map(Either::Right))
    }
}
