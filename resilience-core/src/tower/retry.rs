//! [`RetryLayer`]: `#[retry]` for a `tower::Service`.

use core::fmt::Debug;
use core::ops::Deref;
use core::task::{Context, Poll};
use core::time::Duration;
use std::sync::Arc;

use tower_layer::Layer;
use tower_service::Service;

use super::drive::{Cloned, drive};
use super::{BoxFuture, Delay, EveryError, NoDelay, Predicate};
use crate::pipeline::pipeline;
use crate::retry::{RetryBudget, RetryPolicy};

/// No budget: what a [`RetryLayer`] has until [`RetryLayer::budget`] gives it one.
type NoBudget = &'static RetryBudget;

/// Retries the inner service under a [`RetryPolicy`], as `#[retry]` does: the same
/// policy type, the same layer code, the same events.
///
/// Each attempt sends a copy of the request, so the request type must be `Clone`
/// (`Req: Clone` on the service; a request with a streaming body cannot be retried —
/// buffer it first). The inner service must be `Clone` too, as for tower's own `Retry`:
/// the ready one makes the first attempt and is asked `poll_ready` again before each
/// retry.
///
/// ```
/// use resilience_core::{retry::RetryPolicy, tower::RetryLayer};
///
/// let layer = RetryLayer::new(RetryPolicy::DEFAULT)
///     .name("openai")
///     .when(|e: &tower::BoxError| !e.to_string().contains("400"));
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct RetryLayer<On = EveryError, RA = NoDelay, B = NoBudget> {
    shared: Shared<On, RA, B>,
}

#[derive(Clone)]
struct Shared<On, RA, B> {
    name: &'static str,
    policy: RetryPolicy,
    on: On,
    retry_after: RA,
    budget: Option<B>,
}

impl RetryLayer {
    /// A layer retrying every error under `policy`, pipeline name `"tower::retry"`.
    ///
    /// ```
    /// let layer = resilience_core::tower::RetryLayer::new(resilience_core::retry::RetryPolicy::DEFAULT);
    /// # let _ = layer;
    /// ```
    pub fn new(policy: RetryPolicy) -> Self {
        RetryLayer {
            shared: Shared {
                name: "tower::retry",
                policy,
                on: EveryError,
                retry_after: NoDelay,
                budget: None,
            },
        }
    }
}

impl<On, RA, B> RetryLayer<On, RA, B> {
    /// Names the pipeline in events and metrics (the attributes use the function's path).
    ///
    /// ```
    /// # use resilience_core::{retry::RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::DEFAULT).name("openai");
    /// # let _ = layer;
    /// ```
    pub fn name(self, name: &'static str) -> Self {
        let mut shared = self.shared;
        shared.name = name;
        RetryLayer { shared }
    }

    /// Retries only the errors `when` accepts (`#[retry(when = ..)]`); others come back
    /// at once.
    ///
    /// ```
    /// # use resilience_core::{retry::RetryPolicy, tower::RetryLayer};
    /// let layer = RetryLayer::new(RetryPolicy::DEFAULT).when(|e: &std::io::Error| e.kind() != std::io::ErrorKind::InvalidInput);
    /// # let _ = layer;
    /// ```
    pub fn when<E, When: Fn(&E) -> bool>(self, when: When) -> RetryLayer<When, RA, B> {
        let shared = self.shared;
        RetryLayer {
            shared: Shared {
                name: shared.name,
                policy: shared.policy,
                on: when,
                retry_after: shared.retry_after,
                budget: shared.budget,
            },
        }
    }

    /// Reads the delay a server asked for from an error (`#[retry(retry_after = ..)]`):
    /// it replaces that one backoff delay; a delay over the backoff's `max` stops
    /// retrying. [`circuit_retry_in`](super::circuit_retry_in) reads an open breaker's.
    ///
    /// ```
    /// # use resilience_core::{retry::RetryPolicy, tower::{RetryLayer, circuit_retry_in}};
    /// let layer = RetryLayer::new(RetryPolicy::DEFAULT)
    ///     .retry_after(|e: &tower::BoxError| circuit_retry_in(e));
    /// # let _ = layer;
    /// ```
    pub fn retry_after<E, New>(self, retry_after: New) -> RetryLayer<On, New, B>
    where
        New: Fn(&E) -> Option<Duration>,
    {
        let shared = self.shared;
        RetryLayer {
            shared: Shared {
                name: shared.name,
                policy: shared.policy,
                on: shared.on,
                retry_after,
                budget: shared.budget,
            },
        }
    }

    /// Pays for retries from `budget` (`#[retry(budget = ..)]`): `&'static RetryBudget`,
    /// `Arc<RetryBudget>`, or anything else that derefs to one.
    ///
    /// ```
    /// # use resilience_core::{retry::RetryPolicy, tower::RetryLayer, RetryBudget};
    /// let budget = std::sync::Arc::new(RetryBudget::builder().build()?);
    /// let layer = RetryLayer::new(RetryPolicy::DEFAULT).budget(budget);
    /// # let _ = layer;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn budget<New: Deref<Target = RetryBudget>>(self, budget: New) -> RetryLayer<On, RA, New> {
        let shared = self.shared;
        RetryLayer {
            shared: Shared {
                name: shared.name,
                policy: shared.policy,
                on: shared.on,
                retry_after: shared.retry_after,
                budget: Some(budget),
            },
        }
    }
}

impl<S, On: Clone, RA: Clone, B: Clone> Layer<S> for RetryLayer<On, RA, B> {
    type Service = RetryService<S, On, RA, B>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            shared: Arc::new(self.shared.clone()),
        }
    }
}

/// The service a [`RetryLayer`] makes.
///
/// ```
/// use resilience_core::{retry::RetryPolicy, tower::RetryLayer};
/// use tower::Layer;
///
/// let service = RetryLayer::new(RetryPolicy::DEFAULT)
///     .layer(tower::service_fn(|n: u8| async move { Ok::<_, tower::BoxError>(n) }));
/// # let _ = service;
/// ```
pub struct RetryService<S, On, RA, B> {
    inner: S,
    shared: Arc<Shared<On, RA, B>>,
}

impl<S: Clone, On, RA, B> Clone for RetryService<S, On, RA, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: self.shared.clone(),
        }
    }
}

impl<S, Req, On, RA, B> Service<Req> for RetryService<S, On, RA, B>
where
    Req: Clone + Send + 'static,
    S: Service<Req> + Clone + Send + 'static,
    S::Response: Send + 'static,
    S::Error: Debug + Send + 'static,
    S::Future: Send,
    On: Predicate<S::Error>,
    RA: Delay<S::Error>,
    B: Deref<Target = RetryBudget> + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // tower's idiom: the service `poll_ready` readied goes with the call, a clone
        // stays for the next `poll_ready`.
        let service = super::take_ready(&mut self.inner);
        let shared = self.shared.clone();
        Box::pin(async move {
            let shared = &*shared;
            let builder = pipeline::<Result<S::Response, S::Error>>()
                .name(shared.name)
                .retry(
                    &shared.policy,
                    |e: &S::Error| shared.on.test(e),
                    |e: &S::Error| shared.retry_after.delay(e),
                );
            let request = Cloned(request);
            match &shared.budget {
                Some(budget) => {
                    let pipeline = builder.budget(budget).build();
                    drive!(pipeline, service, None::<S>, request)
                }
                None => drive!(builder.build(), service, None::<S>, request),
            }
        })
    }
}
