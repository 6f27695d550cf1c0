//! [`FallbackLayer`]: `#[fallback]` for a `tower::Service`.

use core::task::{Context, Poll};
use std::sync::Arc;

use tower_layer::Layer;
use tower_service::Service;

use super::drive::{Cloned, drive};
use super::{BoxFuture, EveryError, Predicate};
use crate::fallback::Agent;
use crate::pipeline::pipeline;

/// When the inner service fails (with an error `when` accepts), sends a copy of the
/// request to a fallback service and returns its answer, as `#[fallback]` does with
/// one agent: the same layer code, so the fallback is reported (event "fallback
/// served", [`fallback::observe`](crate::fallback::observe)) under the agent's name.
///
/// The request is sent twice at most, so it must be `Clone`; both services must be
/// `Clone` (the fallback is polled ready only when it is needed). Stack two layers for
/// two levels of fallback.
///
/// ```
/// use resilience_core::tower::FallbackLayer;
///
/// let local = tower::service_fn(|prompt: String| async move { Ok::<_, tower::BoxError>(prompt.len()) });
/// let layer = FallbackLayer::new("local_llm", local);
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct FallbackLayer<F, On = EveryError> {
    shared: Shared<F, On>,
}

#[derive(Clone)]
struct Shared<F, On> {
    name: &'static str,
    agents: [Agent; 1],
    fallback: F,
    on: On,
}

impl<F> FallbackLayer<F> {
    /// A layer calling `fallback`, known as `agent` in events, on every error.
    ///
    /// ```
    /// let layer = resilience_core::tower::FallbackLayer::new(
    ///     "cache",
    ///     tower::service_fn(|_: u8| async { Ok::<u8, tower::BoxError>(0) }),
    /// );
    /// # let _ = layer;
    /// ```
    pub fn new(agent: &'static str, fallback: F) -> Self {
        FallbackLayer {
            shared: Shared {
                name: "tower::fallback",
                agents: [Agent::named(agent)],
                fallback,
                on: EveryError,
            },
        }
    }
}

impl<F, On> FallbackLayer<F, On> {
    /// Names the pipeline in events and metrics.
    ///
    /// ```
    /// # let local = tower::service_fn(|_: u8| async { Ok::<u8, tower::BoxError>(0) });
    /// let layer = resilience_core::tower::FallbackLayer::new("cache", local).name("openai");
    /// # let _ = layer;
    /// ```
    pub fn name(mut self, name: &'static str) -> Self {
        self.shared.name = name;
        self
    }

    /// Falls back only on the errors `when` accepts (`#[fallback(when = ..)]`); others
    /// come back unchanged.
    ///
    /// ```
    /// # let local = tower::service_fn(|_: u8| async { Ok::<u8, std::io::Error>(0) });
    /// let layer = resilience_core::tower::FallbackLayer::new("cache", local)
    ///     .when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::TimedOut);
    /// # let _ = layer;
    /// ```
    pub fn when<E, When: Fn(&E) -> bool>(self, when: When) -> FallbackLayer<F, When> {
        FallbackLayer {
            shared: Shared {
                name: self.shared.name,
                agents: self.shared.agents,
                fallback: self.shared.fallback,
                on: when,
            },
        }
    }
}

impl<S, F: Clone, On: Clone> Layer<S> for FallbackLayer<F, On> {
    type Service = FallbackService<S, F, On>;

    fn layer(&self, inner: S) -> Self::Service {
        FallbackService {
            inner,
            shared: Arc::new(self.shared.clone()),
        }
    }
}

/// The service a [`FallbackLayer`] makes.
///
/// ```
/// use resilience_core::tower::FallbackLayer;
/// use tower::Layer;
///
/// let cache = tower::service_fn(|_: u8| async { Ok::<u8, tower::BoxError>(0) });
/// let service = FallbackLayer::new("cache", cache)
///     .layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// ```
pub struct FallbackService<S, F, On> {
    inner: S,
    shared: Arc<Shared<F, On>>,
}

impl<S: Clone, F, On> Clone for FallbackService<S, F, On> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, F, Req, On> Service<Req> for FallbackService<S, F, On>
where
    Req: Clone + Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    S::Future: Send,
    F: Service<Req, Response = S::Response, Error = S::Error> + Clone + Send + Sync + 'static,
    F::Future: Send,
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
                .fallback(&shared.agents, |e: &S::Error| shared.on.test(e))
                .build();
            let fallback = Some(shared.fallback.clone());
            drive!(pipeline, service, fallback, Cloned(request))
        })
    }
}
