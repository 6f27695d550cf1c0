//! [`RateLimitLayer`]: `#[rate_limit]` for a `tower::Service`.

use core::ops::Deref;
use core::task::{Context, Poll};
use std::sync::Arc;

use tower_layer::Layer;
use tower_service::Service;

use super::BoxFuture;
use super::drive::{Once, drive};
use crate::RateLimiter;
use crate::pipeline::pipeline;
use crate::rate_limit::{FromRateLimited, NoUsage};

/// Paces calls of the inner service through a [`RateLimiter`], as `#[rate_limit]` does:
/// the same limiter type (one quota shared by functions and services that use the same
/// limiter), the same queue, the same events.
///
/// `poll_ready` is the inner service's. The call waits its turn in the limiter's
/// first-come-first-served queue (dropping the future gives its place back); a call
/// the limiter refuses (its queue is full, or the wait would exceed the limiter's
/// bound) fails with `E::from(RateLimited)` without calling the inner service.
///
/// ```
/// use std::sync::Arc;
/// use resilience_core::{tower::RateLimitLayer, RateLimiter};
///
/// let limiter = Arc::new(RateLimiter::builder().requests(60).tokens(90_000).build()?);
/// let layer = RateLimitLayer::new(limiter).tokens(|prompt: &String| prompt.len() as u64 / 4);
/// # let _ = layer;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RateLimitLayer<L, C = OneRequest> {
    shared: Shared<L, C>,
}

#[derive(Clone)]
struct Shared<L, C> {
    name: &'static str,
    limiter: L,
    tokens: C,
}

/// Tokens a request is estimated to use: [`OneRequest`] (none counted), or a closure
/// `Fn(&Req) -> u64`.
///
/// ```
/// use resilience_core::tower::Tokens;
///
/// let estimate = |prompt: &String| prompt.len() as u64 / 4;
/// assert_eq!(estimate.tokens(&"abcdefgh".to_string()), 2);
/// ```
pub trait Tokens<Req>: Send + Sync + 'static {
    /// The estimate for `request` (ignored by a limiter without a token limit).
    fn tokens(&self, request: &Req) -> u64;
}

/// Counts requests only: the default of [`RateLimitLayer`].
///
/// ```
/// use resilience_core::tower::{OneRequest, Tokens};
///
/// assert_eq!(Tokens::<u8>::tokens(&OneRequest, &7), 0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct OneRequest;

impl<Req> Tokens<Req> for OneRequest {
    fn tokens(&self, _: &Req) -> u64 {
        0
    }
}

impl<Req, F: Fn(&Req) -> u64 + Send + Sync + 'static> Tokens<Req> for F {
    fn tokens(&self, request: &Req) -> u64 {
        self(request)
    }
}

impl<L: Deref<Target = RateLimiter>> RateLimitLayer<L> {
    /// A layer pacing calls through `limiter` (`&'static RateLimiter`,
    /// `Arc<RateLimiter>`, ...).
    ///
    /// ```
    /// use resilience_core::{tower::RateLimitLayer, RateLimiter};
    ///
    /// let layer = RateLimitLayer::new(std::sync::Arc::new(RateLimiter::builder().requests(10).build()?));
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn new(limiter: L) -> Self {
        RateLimitLayer {
            shared: Shared {
                name: "tower::rate_limit",
                limiter,
                tokens: OneRequest,
            },
        }
    }
}

impl<L, C> RateLimitLayer<L, C> {
    /// Names the pipeline in events and metrics.
    ///
    /// ```
    /// # use resilience_core::{tower::RateLimitLayer, RateLimiter};
    /// let layer = RateLimitLayer::new(std::sync::Arc::new(RateLimiter::builder().requests(10).build()?)).name("openai");
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn name(mut self, name: &'static str) -> Self {
        self.shared.name = name;
        self
    }

    /// Estimates each request's tokens (`#[rate_limit(cost = ..)]`).
    ///
    /// ```
    /// # use resilience_core::{tower::RateLimitLayer, RateLimiter};
    /// let layer = RateLimitLayer::new(std::sync::Arc::new(RateLimiter::builder().tokens(1000).build()?))
    ///     .tokens(|prompt: &String| prompt.len() as u64);
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn tokens<Req, New: Fn(&Req) -> u64>(self, tokens: New) -> RateLimitLayer<L, New> {
        RateLimitLayer {
            shared: Shared {
                name: self.shared.name,
                limiter: self.shared.limiter,
                tokens,
            },
        }
    }
}

impl<S, L: Clone, C: Clone> Layer<S> for RateLimitLayer<L, C> {
    type Service = RateLimitService<S, L, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            shared: Arc::new(self.shared.clone()),
        }
    }
}

/// The service a [`RateLimitLayer`] makes.
///
/// ```
/// use resilience_core::{tower::RateLimitLayer, RateLimiter};
/// use tower::Layer;
///
/// let layer = RateLimitLayer::new(std::sync::Arc::new(RateLimiter::builder().requests(10).build()?));
/// let service = layer.layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub struct RateLimitService<S, L, C> {
    inner: S,
    shared: Arc<Shared<L, C>>,
}

impl<S: Clone, L, C> Clone for RateLimitService<S, L, C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, Req, L, C> Service<Req> for RateLimitService<S, L, C>
where
    Req: Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: FromRateLimited + Send + 'static,
    S::Future: Send,
    L: Deref<Target = RateLimiter> + Send + Sync + 'static,
    C: Tokens<Req>,
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
        let tokens = shared.tokens.tokens(&request);
        Box::pin(async move {
            let shared = &*shared;
            let pipeline = pipeline::<Result<S::Response, S::Error>>()
                .name(shared.name)
                .rate_limit(&*shared.limiter, tokens, NoUsage)
                .build();
            drive!(pipeline, service, None::<S>, Once(Some(request)))
        })
    }
}
