//! [`BulkheadLayer`]: `#[bulkhead]` for a `tower::Service`.

use core::ops::Deref;
use core::task::{Context, Poll};
use std::sync::Arc;

use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use super::drive::{Once, drive};
use crate::Bulkhead;
use crate::bulkhead::FromBulkheadFull;
use crate::pipeline::pipeline;

/// At most the [`Bulkhead`]'s `max` calls of the inner service at once, the rest
/// queued, as `#[bulkhead]` does: the same bulkhead type (share one between functions
/// and services by passing the same `&'static` or `Arc`), the same queue and events.
///
/// `poll_ready` is the inner service's. A call waits in the bulkhead's queue for a
/// place (dropping the future gives it back); when the queue is full, or the wait
/// exceeds the bulkhead's bound, the call fails with `E::from(BulkheadFull)` without
/// calling the inner service: load shed with a typed error, not a `Pending` that could
/// wait forever.
///
/// ```
/// use resilience_core::{tower::BulkheadLayer, Bulkhead};
///
/// let layer = BulkheadLayer::new(std::sync::Arc::new(Bulkhead::builder().max(8).build()?)).name("openai");
/// # let _ = layer;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct BulkheadLayer<B> {
    name: &'static str,
    bulkhead: B,
}

impl<B: Deref<Target = Bulkhead>> BulkheadLayer<B> {
    /// A layer around `bulkhead` (`&'static Bulkhead`, `Arc<Bulkhead>`, ...).
    ///
    /// ```
    /// use resilience_core::{tower::BulkheadLayer, Bulkhead};
    ///
    /// let layer = BulkheadLayer::new(std::sync::Arc::new(Bulkhead::builder().build()?));
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn new(bulkhead: B) -> Self {
        BulkheadLayer {
            name: "tower::bulkhead",
            bulkhead,
        }
    }

    /// Names the pipeline in events and metrics.
    ///
    /// ```
    /// # use resilience_core::{tower::BulkheadLayer, Bulkhead};
    /// let layer = BulkheadLayer::new(std::sync::Arc::new(Bulkhead::builder().build()?)).name("openai");
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }
}

impl<S, B: Clone> Layer<S> for BulkheadLayer<B> {
    type Service = BulkheadService<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        BulkheadService {
            inner,
            layer: Arc::new(self.clone()),
        }
    }
}

/// The service a [`BulkheadLayer`] makes.
///
/// ```
/// use resilience_core::{tower::BulkheadLayer, Bulkhead};
/// use tower::Layer;
///
/// let layer = BulkheadLayer::new(std::sync::Arc::new(Bulkhead::builder().build()?));
/// let service = layer.layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub struct BulkheadService<S, B> {
    inner: S,
    layer: Arc<BulkheadLayer<B>>,
}

impl<S: Clone, B> Clone for BulkheadService<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S, Req, B> Service<Req> for BulkheadService<S, B>
where
    Req: Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: FromBulkheadFull + Send + 'static,
    S::Future: Send,
    B: Deref<Target = Bulkhead> + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let service = super::take_ready(&mut self.inner);
        let layer = self.layer.clone();
        Box::pin(async move {
            let pipeline = pipeline::<Result<S::Response, S::Error>>()
                .name(layer.name)
                .bulkhead(&layer.bulkhead)
                .build();
            drive!(pipeline, service, None::<S>, Once(Some(request)))
        })
    }
}
