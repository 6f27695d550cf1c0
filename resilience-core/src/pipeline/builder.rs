//! Building a pipeline outermost layer first.

use core::marker::PhantomData;

use super::{Body, IsResult, Pipeline, Stack};

/// A pattern's settings, ready to wrap a stack: what each builder method adds.
///
/// The counterpart of `tower::Layer`: [`wrap`](Self::wrap) puts this layer around
/// `inner` and returns the bigger stack. Each pattern module has one (`RetryLayer`,
/// `CircuitLayer`, ...) and a builder method on [`Builder`] that adds it.
///
/// ```
/// use resilience_core::pipeline::{pipeline, Body, Layer, Stack};
/// use resilience_core::timeout::TimeoutLayer;
/// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
///
/// fn height<S: Stack<u8, E>>(_: &S) -> u32 { S::HEIGHT }
///
/// let layer = TimeoutLayer::<E>::new(std::time::Duration::from_secs(1));
/// let stack = Layer::<u8, E>::wrap(layer, Body::new());
/// assert_eq!(height(&stack), 1);
/// ```
pub trait Layer<T, E> {
    /// This layer around a stack `S`.
    type Stack<S: Stack<T, E>>: Stack<T, E>;

    /// Puts this layer around `inner`.
    fn wrap<S: Stack<T, E>>(self, inner: S) -> Self::Stack<S>;
}

/// No layer: what an empty [`Builder`] holds.
///
/// ```
/// use resilience_core::pipeline::{Body, Identity, Layer};
///
/// let _body: Body<u8, ()> = Layer::<u8, ()>::wrap(Identity, Body::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<T, E> Layer<T, E> for Identity {
    type Stack<S: Stack<T, E>> = S;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S) -> S {
        inner
    }
}

/// `Outer` around `Inner`: two layers, in the order they were added.
///
/// ```
/// use resilience_core::pipeline::{Body, Identity, Layer, Then};
///
/// let _body: Body<u8, ()> = Layer::<u8, ()>::wrap(Then(Identity, Identity), Body::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Then<Outer, Inner>(pub Outer, pub Inner);

impl<T, E, Outer: Layer<T, E>, Inner: Layer<T, E>> Layer<T, E> for Then<Outer, Inner> {
    type Stack<S: Stack<T, E>> = Outer::Stack<Inner::Stack<S>>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S) -> Self::Stack<S> {
        self.0.wrap(self.1.wrap(inner))
    }
}

/// Collects the layers of a pipeline, outermost first; [`build`](Self::build) nests
/// them around the call.
///
/// Each pattern module adds its method (`.retry(..)`, `.circuit(..)`, `.timeout(..)`,
/// `.fallback(..)`), and [`layer`](Self::layer) adds any [`Layer`]. The same pattern
/// may be added any number of times, in any order.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::pipeline::pipeline;
/// use resilience_core::retry::RetryPolicy;
/// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
///
/// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
/// let pipeline = pipeline::<Result<u8, E>>()
///     .timeout(Duration::from_secs(30)) // the whole call, waits included
///     .retry(&POLICY, |_| true, None)
///     .timeout(Duration::from_secs(10)) // each attempt
///     .build();
/// # let _ = pipeline;
/// ```
#[must_use = "a builder does nothing until `build()` is called"]
pub struct Builder<T, E, L> {
    layers: L,
    /// Fallback agents added so far: the next agent is call number `agents + 1`.
    agents: usize,
    _types: PhantomData<fn() -> (T, E)>,
}

/// Starts a pipeline for a function returning `R` (a `Result`).
///
/// The expansion writes `pipeline::<ReturnType>()`, so a function that does not return
/// a `Result` is refused right on its return type.
///
/// ```
/// let empty = resilience_core::pipeline::pipeline::<Result<(), std::io::Error>>().build();
/// # let _ = empty;
/// ```
#[inline(always)]
pub const fn pipeline<R: IsResult>() -> Builder<R::Ok, R::Err, Identity> {
    Builder {
        layers: Identity,
        agents: 0,
        _types: PhantomData,
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds `layer` inside the layers added so far.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::{pipeline::pipeline, timeout::TimeoutLayer};
    /// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
    ///
    /// let p = pipeline::<Result<u8, E>>().layer(TimeoutLayer::new(Duration::from_secs(1))).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn layer<Inner: Layer<T, E>>(self, layer: Inner) -> Builder<T, E, Then<L, Inner>> {
        Builder {
            layers: Then(self.layers, layer),
            agents: self.agents,
            _types: PhantomData,
        }
    }

    /// Reserves call numbers for `count` more fallback agents; returns the first.
    ///
    /// Agents are numbered in the order their layers are added, from 1 (0 is the body).
    ///
    /// ```
    /// let mut builder = resilience_core::pipeline::pipeline::<Result<(), ()>>();
    /// assert_eq!(builder.reserve_agents(2), 1);
    /// assert_eq!(builder.reserve_agents(1), 3);
    /// ```
    #[inline(always)]
    pub const fn reserve_agents(&mut self, count: usize) -> usize {
        let first = self.agents + 1;
        self.agents += count;
        first
    }

    /// Nests the layers around the call: the pipeline to drive.
    ///
    /// ```
    /// use resilience_core::pipeline::{pipeline, Flow};
    ///
    /// let mut p = pipeline::<Result<u8, ()>>().build();
    /// assert!(matches!(p.enter(), Flow::Call(0)));
    /// ```
    #[inline(always)]
    pub fn build(self) -> Pipeline<T, E, L::Stack<Body<T, E>>> {
        Pipeline::new(self.layers.wrap(Body::new()))
    }
}
