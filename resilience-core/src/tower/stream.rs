//! [`StreamLayer`]: `#[stream]` for a `tower::Service` whose response is a stream.

use core::task::{Context, Poll};

use futures_core::Stream;
use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use crate::stream::{FromStreamError, StreamPolicy, Streamed, first_item};

/// Answers each call at its stream's first item, as `#[stream]` does: the same
/// [`first_item`], so the layers **above** it (a [`RetryLayer`](super::RetryLayer), a
/// [`CircuitLayer`](super::CircuitLayer), a [`FallbackLayer`](super::FallbackLayer))
/// act up to the first item and never after. The response is a [`Streamed`]: the first
/// item first, then the rest, each later gap bounded by the policy's `idle`.
///
/// For a service whose response is a stream of `Result<T, E>` with `E` the service's
/// error (an LLM client's token stream): an error before the first item, an `Err` first
/// item, an empty stream (`E::from(EmptyStream)`) or `first` elapsed (`E::from(TimedOut)`)
/// fail the call. The stream must be `Unpin` (`Box::pin` one that is not).
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{stream::StreamPolicy, tower::StreamLayer, ConfigError};
///
/// static CHAT: StreamPolicy = ConfigError::unwrap_const(
///     StreamPolicy::builder().name("chat").first(Duration::from_secs(10)).idle(Duration::from_secs(30)).build(),
/// );
/// let layer = StreamLayer::new(&CHAT);
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StreamLayer {
    policy: StreamPolicy,
}

impl StreamLayer {
    /// Calls answered at their stream's first item, under `policy`'s deadlines (its
    /// name names the call in events).
    ///
    /// ```
    /// use resilience_core::{stream::StreamPolicy, tower::StreamLayer};
    ///
    /// let layer = StreamLayer::new(&StreamPolicy::DEFAULT);
    /// # let _ = layer;
    /// ```
    pub const fn new(policy: &StreamPolicy) -> Self {
        StreamLayer { policy: *policy }
    }
}

impl<S> Layer<S> for StreamLayer {
    type Service = StreamService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        StreamService {
            inner,
            policy: self.policy,
        }
    }
}

/// The service a [`StreamLayer`] makes. Its inner service need not be `Clone`: the call
/// is made at once, and its future runs until the first item.
///
/// ```
/// use resilience_core::{stream::StreamPolicy, tower::StreamLayer};
/// use tower::Layer;
///
/// let service = StreamLayer::new(&StreamPolicy::DEFAULT).layer(tower::service_fn(|_: ()| async {
///     Ok::<_, tower::BoxError>(futures_util::stream::iter([Ok::<_, tower::BoxError>("token")]))
/// }));
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct StreamService<S> {
    inner: S,
    policy: StreamPolicy,
}

impl<S, Req, T> Service<Req> for StreamService<S>
where
    S: Service<Req>,
    S::Response: Stream<Item = Result<T, S::Error>> + Unpin + Send + 'static,
    S::Error: FromStreamError + Send + 'static,
    S::Future: Send + 'static,
    T: Send + 'static,
{
    type Response = Streamed<S::Response>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Streamed<S::Response>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        Box::pin(first_item(self.inner.call(request), &self.policy))
    }
}
