//! [`HedgeLayer`]: `#[hedge]` for a `tower::Service`.

use core::future::poll_fn;
use core::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use crate::hedge::{Hedge, HedgePolicy};

/// Hedged calls of the inner service, as `#[hedge(after, max)]` makes them: after
/// `after` without an answer another call starts (each on its own clone of the service,
/// with its own clone of the request) while the first keeps running; the first `Ok` wins
/// and the others are dropped at that instant; when all fail, the last error. The same
/// race as the attribute's ([`Hedge::race`]), with its events.
///
/// Requests must be `Clone` (each copy sends its own) and so must the service (each copy
/// calls its own clone, made ready before its call). `poll_ready` is the inner service's.
/// Copies do not draw on a retry budget here: put a
/// [`RetryLayer`](super::RetryLayer) with a budget above it to bound the fleet's load.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{hedge::HedgePolicy, tower::HedgeLayer};
///
/// let policy = HedgePolicy::builder().after(Duration::from_millis(800)).max(2).build()?;
/// let layer = HedgeLayer::new(policy).name("replicas");
/// # let _ = layer;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HedgeLayer {
    name: &'static str,
    policy: HedgePolicy,
}

impl HedgeLayer {
    /// Hedged calls following `policy`.
    ///
    /// ```
    /// # use resilience_core::{hedge::HedgePolicy, tower::HedgeLayer};
    /// let layer = HedgeLayer::new(HedgePolicy::builder().build()?);
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new(policy: HedgePolicy) -> Self {
        HedgeLayer {
            name: "tower::hedge",
            policy,
        }
    }

    /// Names the hedge in events and metrics.
    ///
    /// ```
    /// # use resilience_core::{hedge::HedgePolicy, tower::HedgeLayer};
    /// let layer = HedgeLayer::new(HedgePolicy::builder().build()?).name("replicas");
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }
}

impl<S> Layer<S> for HedgeLayer {
    type Service = HedgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HedgeService {
            inner,
            layer: *self,
        }
    }
}

/// The service a [`HedgeLayer`] makes.
///
/// ```
/// use resilience_core::{hedge::HedgePolicy, tower::HedgeLayer};
/// use tower::Layer;
///
/// let service = HedgeLayer::new(HedgePolicy::builder().build()?)
///     .layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct HedgeService<S> {
    inner: S,
    layer: HedgeLayer,
}

impl<S, Req> Service<Req> for HedgeService<S>
where
    Req: Clone + Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The first copy takes the service made ready by `poll_ready` (as tower asks);
        // later ones make their own clone ready before calling it.
        let first = super::take_ready(&mut self.inner);
        let spare = first.clone();
        let HedgeLayer { name, policy } = self.layer;
        Box::pin(async move {
            let hedge = Hedge::new(&policy).name(name);
            let mut first = Some((first, request.clone()));
            hedge
                .race(move |_copy| {
                    let ready = first.take();
                    let (mut service, request, fresh) = match ready {
                        Some((service, request)) => (service, request, false),
                        None => (spare.clone(), request.clone(), true),
                    };
                    async move {
                        if fresh {
                            poll_fn(|cx| service.poll_ready(cx)).await?;
                        }
                        service.call(request).await
                    }
                })
                .await
        })
    }
}
