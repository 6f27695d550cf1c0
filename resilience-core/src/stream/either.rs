//! [`Either`]: one stream type for calls whose streams have types of their own.

use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

/// One of two streams with the same items: how the body and the fallback agents of a
/// `#[stream]` function, each with a stream type of its own, answer with one type
/// (nested: `Left(body)`, `Right(Left(agent 1))`, `Right(Right(agent 2))`). It adds a
/// branch per item and no allocation.
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
