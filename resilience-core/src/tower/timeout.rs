//! [`TimeoutLayer`]: `#[timeout]` for a `tower::Service`.

use core::task::{Context, Poll};
use core::time::Duration;

use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use super::drive::{Once, drive};
use crate::pipeline::pipeline;
use crate::timeout::FromTimedOut;

/// A deadline on each call of the inner service, as `#[timeout]` does: the same layer
/// code, so a deadline passes with `E::from(TimedOut)` naming it and emits the same
/// event. It counts from the moment the call starts (the inner service's `call`), as
/// `tokio::time::timeout`'s does; above a [`RetryLayer`](super::RetryLayer) it bounds
/// the retries and their waits too.
///
/// `poll_ready` is the inner service's and is not bounded: put the deadline on calls,
/// and a `tower::load_shed` or a bulkhead on readiness.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::tower::TimeoutLayer;
///
/// let layer = TimeoutLayer::new(Duration::from_secs(10)).name("openai");
/// # let _ = layer;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TimeoutLayer {
    name: &'static str,
    after: Duration,
}

impl TimeoutLayer {
    /// A deadline `after` the call starts.
    ///
    /// ```
    /// let layer = resilience_core::tower::TimeoutLayer::new(std::time::Duration::from_millis(250));
    /// # let _ = layer;
    /// ```
    pub const fn new(after: Duration) -> Self {
        TimeoutLayer {
            name: "tower::timeout",
            after,
        }
    }

    /// Names the pipeline in events and metrics.
    ///
    /// ```
    /// let layer = resilience_core::tower::TimeoutLayer::new(std::time::Duration::from_secs(1)).name("openai");
    /// # let _ = layer;
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            layer: *self,
        }
    }
}

/// The service a [`TimeoutLayer`] makes. Its inner service need not be `Clone`: the
/// call is made at once, and its future runs under the deadline.
///
/// ```
/// use resilience_core::tower::TimeoutLayer;
/// use tower::Layer;
///
/// let service = TimeoutLayer::new(std::time::Duration::from_secs(1))
///     .layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// ```
#[derive(Clone, Debug)]
pub struct TimeoutService<S> {
    inner: S,
    layer: TimeoutLayer,
}

/// The inner service's future, as a service called once: what the pipeline calls.
struct Started<F>(Option<F>);

impl<Req, T, E, F: Future<Output = Result<T, E>>> Service<Req> for Started<F> {
    type Response = T;
    type Error = E;
    type Future = F;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), E>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Req) -> F {
        match self.0.take() {
            Some(future) => future,
            None => unreachable!("a timeout layer calls its service once"),
        }
    }
}

impl<S, Req> Service<Req> for TimeoutService<S>
where
    S: Service<Req>,
    S::Response: Send + 'static,
    S::Error: FromTimedOut + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let started = Started(Some(self.inner.call(request)));
        let TimeoutLayer { name, after } = self.layer;
        Box::pin(async move {
            let pipeline = pipeline::<Result<S::Response, S::Error>>()
                .name(name)
                .timeout(after)
                .build();
            drive!(
                pipeline,
                started,
                None::<Started<S::Future>>,
                Once(Some(()))
            )
        })
    }
}
