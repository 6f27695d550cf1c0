//! [`CircuitLayer`]: `#[circuit]` for a `tower::Service`.

use core::ops::Deref;
use core::task::{Context, Poll};
use std::sync::Arc;

use tower_layer::Layer;
use tower_service::Service;

use super::drive::{Once, drive};
use super::{BoxFuture, EveryError, Predicate};
use crate::CircuitBreaker;
use crate::circuit::FromCircuitOpen;
use crate::pipeline::pipeline;

/// Guards the inner service with a [`CircuitBreaker`], as `#[circuit]` does: the same
/// breaker type (share one between a function and a service by passing the same
/// `&'static` or `Arc`), the same state machine, the same events.
///
/// `poll_ready` is the inner service's: while the breaker is open, the call fails at
/// once with `E::from(CircuitOpen)` (its `retry_in` says when a probe may pass; see
/// [`circuit_retry_in`](super::circuit_retry_in)), and the inner service is not called.
/// A call whose future is dropped counts as nothing, a half-open probe's permit is
/// given back.
///
/// ```
/// use std::sync::Arc;
/// use resilience_core::{tower::CircuitLayer, CircuitBreaker};
///
/// let breaker = Arc::new(CircuitBreaker::builder().name("openai").build()?);
/// let layer = CircuitLayer::new(breaker).when(|e: &tower::BoxError| !e.to_string().contains("400"));
/// # let _ = layer;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct CircuitLayer<B, On = EveryError> {
    shared: Shared<B, On>,
}

#[derive(Clone)]
struct Shared<B, On> {
    name: &'static str,
    breaker: B,
    on: On,
}

impl<B: Deref<Target = CircuitBreaker>> CircuitLayer<B> {
    /// A layer around `breaker` (`&'static CircuitBreaker`, `Arc<CircuitBreaker>`, ...)
    /// counting every error as a failure.
    ///
    /// ```
    /// use resilience_core::{tower::CircuitLayer, CircuitBreaker};
    ///
    /// static BREAKER: std::sync::LazyLock<CircuitBreaker> =
    ///     std::sync::LazyLock::new(|| CircuitBreaker::builder().build().unwrap());
    /// let layer = CircuitLayer::new(&*BREAKER);
    /// # let _ = layer;
    /// ```
    pub fn new(breaker: B) -> Self {
        CircuitLayer {
            shared: Shared {
                name: "tower::circuit",
                breaker,
                on: EveryError,
            },
        }
    }
}

impl<B, On> CircuitLayer<B, On> {
    /// Names the pipeline in events and metrics (the breaker keeps its own name).
    ///
    /// ```
    /// # use resilience_core::{tower::CircuitLayer, CircuitBreaker};
    /// let layer = CircuitLayer::new(std::sync::Arc::new(CircuitBreaker::builder().build()?)).name("openai");
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn name(mut self, name: &'static str) -> Self {
        self.shared.name = name;
        self
    }

    /// Counts only the errors `when` accepts as failures (`#[circuit(when = ..)]`);
    /// others pass through and count as neither.
    ///
    /// ```
    /// # use resilience_core::{tower::CircuitLayer, CircuitBreaker};
    /// let layer = CircuitLayer::new(std::sync::Arc::new(CircuitBreaker::builder().build()?))
    ///     .when(|e: &std::io::Error| e.kind() != std::io::ErrorKind::InvalidInput);
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn when<E, When: Fn(&E) -> bool>(self, when: When) -> CircuitLayer<B, When> {
        CircuitLayer {
            shared: Shared {
                name: self.shared.name,
                breaker: self.shared.breaker,
                on: when,
            },
        }
    }
}

impl<S, B: Clone, On: Clone> Layer<S> for CircuitLayer<B, On> {
    type Service = CircuitService<S, B, On>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitService {
            inner,
            shared: Arc::new(self.shared.clone()),
        }
    }
}

/// The service a [`CircuitLayer`] makes.
///
/// ```
/// use std::sync::Arc;
/// use resilience_core::{tower::CircuitLayer, CircuitBreaker};
/// use tower::Layer;
///
/// let layer = CircuitLayer::new(Arc::new(CircuitBreaker::builder().build()?));
/// let service = layer.layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub struct CircuitService<S, B, On> {
    inner: S,
    shared: Arc<Shared<B, On>>,
}

impl<S: Clone, B, On> Clone for CircuitService<S, B, On> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, Req, B, On> Service<Req> for CircuitService<S, B, On>
where
    Req: Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: FromCircuitOpen + Send + 'static,
    S::Future: Send,
    B: Deref<Target = CircuitBreaker> + Send + Sync + 'static,
    On: Predicate<S::Error>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let service = super::take_ready(&mut self.inner);
        let shared = self.shared.clone();
        Box::pin(async move {
            let shared = &*shared;
            let pipeline = pipeline::<Result<S::Response, S::Error>>()
                .name(shared.name)
                .circuit(&shared.breaker, |e: &S::Error| shared.on.test(e))
                .build();
            drive!(pipeline, service, None::<S>, Once(Some(request)))
        })
    }
}
