//! The per-item cost of `#[stream]`'s wrapper: a stream that always has its next item
//! ready (one `op` call each), drained through `Streamed` and bare, with the same no-op
//! waker as every other row.

use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use resilience::ConfigError;
use resilience::stream::{Stream, StreamPolicy, Streamed, first_item};

use super::{Error, TEN_SECONDS, THIRTY_SECONDS, block_on, op};

/// An endless stream of ready items.
pub struct Counter {
    next: u64,
}

impl Stream for Counter {
    type Item = Result<u64, Error>;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let x = self.next;
        self.next = x.wrapping_add(1);
        Poll::Ready(Some(Ok(op(x))))
    }
}

static POLICY: StreamPolicy = ConfigError::unwrap_const(
    StreamPolicy::builder()
        .name("bench")
        .first(TEN_SECONDS)
        .idle(THIRTY_SECONDS)
        .build(),
);

#[inline(always)]
fn drain<S: Stream + Unpin>(stream: &mut S, items: u64) {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..items {
        let _ = black_box(Pin::new(&mut *stream).poll_next(&mut cx));
    }
}

/// `items` items of the bare stream.
pub fn stream_items_bare(items: u64) {
    let mut stream = black_box(Counter { next: 0 });
    drain(&mut stream, items);
}

/// The same stream as a `#[stream(first = 10s, idle = 30s)]` call answers it: the first
/// item held by `first_item`, then `items` items through `Streamed`.
pub fn stream_items_ours(items: u64) {
    let call = std::future::ready(Ok::<_, Error>(black_box(Counter { next: 0 })));
    let Ok(mut stream) = block_on(first_item(call, &POLICY)) else {
        unreachable!("the counter's first item is `Ok`")
    };
    drain(&mut stream, items);
}

/// The size of the stream the caller holds.
pub fn streamed_bytes() -> usize {
    size_of::<Streamed<Counter>>()
}
