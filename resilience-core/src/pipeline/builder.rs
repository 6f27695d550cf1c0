//! Building a pipeline outermost layer first.

use core::marker::PhantomData;

use super::meter::Meter;
use super::{Body, IsResult, Pipeline, Stack};
use crate::fallback::Depth;

/// A pattern's settings, ready to wrap a stack: what each builder method adds.
///
/// The counterpart of `tower::Layer`: [`wrap`](Self::wrap) puts this layer around
/// `inner` and returns the bigger stack. Each pattern module has one (`RetryLayer`,
/// `CircuitLayer`, ...) and a builder method on [`Builder`] that adds it.
///
/// ```
/// use resilience_core::pipeline::{Body, Layer, PipelineContext, Stack};
/// use resilience_core::timeout::TimeoutLayer;
/// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
///
/// fn height<S: Stack<u8, E>>(_: &S) -> u32 { S::HEIGHT }
///
/// let layer = TimeoutLayer::<E>::new(std::time::Duration::from_secs(1));
/// let stack = Layer::<u8, E>::wrap(layer, Body::new(), &PipelineContext::new("example"));
/// assert_eq!(height(&stack), 1);
/// ```
pub trait Layer<T, E> {
    /// This layer around a stack `S`.
    type Stack<S: Stack<T, E>>: Stack<T, E>;

    /// Puts this layer around `inner`, in the pipeline `context` describes.
    fn wrap<S: Stack<T, E>>(self, inner: S, context: &PipelineContext) -> Self::Stack<S>;
}

/// What every layer of one pipeline may want to know of it.
///
/// ```
/// use resilience_core::pipeline::PipelineContext;
///
/// let context = PipelineContext::new("my_app::gpt4");
/// assert_eq!(context.name(), "my_app::gpt4");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct PipelineContext {
    name: &'static str,
}

impl PipelineContext {
    /// The context of a pipeline called `name`.
    ///
    /// ```
    /// let context = resilience_core::pipeline::PipelineContext::new("gpt4");
    /// # let _ = context;
    /// ```
    pub const fn new(name: &'static str) -> Self {
        PipelineContext { name }
    }

    /// The pipeline's name: the function's path for an attribute stack (what events,
    /// metrics and default breaker names use).
    ///
    /// ```
    /// assert_eq!(resilience_core::pipeline::PipelineContext::new("gpt4").name(), "gpt4");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// No layer: what an empty [`Builder`] holds.
///
/// ```
/// use resilience_core::pipeline::{Body, Identity, Layer, PipelineContext};
///
/// let _body: Body<u8, ()> = Layer::<u8, ()>::wrap(Identity, Body::new(), &PipelineContext::new("x"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

impl<T, E> Layer<T, E> for Identity {
    type Stack<S: Stack<T, E>> = S;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, _: &PipelineContext) -> S {
        inner
    }
}

/// `Outer` around `Inner`: two layers, in the order they were added.
///
/// ```
/// use resilience_core::pipeline::{Body, Identity, Layer, PipelineContext, Then};
///
/// let _body: Body<u8, ()> =
///     Layer::<u8, ()>::wrap(Then(Identity, Identity), Body::new(), &PipelineContext::new("x"));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Then<Outer, Inner>(pub Outer, pub Inner);

impl<T, E, Outer: Layer<T, E>, Inner: Layer<T, E>> Layer<T, E> for Then<Outer, Inner> {
    type Stack<S: Stack<T, E>> = Outer::Stack<Inner::Stack<S>>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(self, inner: S, context: &PipelineContext) -> Self::Stack<S> {
        self.0.wrap(self.1.wrap(inner, context), context)
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
/// use resilience_core::retry::{NoRetryAfter, RetryPolicy};
/// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
///
/// static POLICY: RetryPolicy = RetryPolicy::DEFAULT;
/// let pipeline = pipeline::<Result<u8, E>>()
///     .timeout(Duration::from_secs(30)) // the whole call, waits included
///     .retry(&POLICY, |_| true, NoRetryAfter)
///     .timeout(Duration::from_secs(10)) // each attempt
///     .build();
/// # let _ = pipeline;
/// ```
#[must_use = "a builder does nothing until `build()` is called"]
pub struct Builder<T, E, L> {
    layers: L,
    context: PipelineContext,
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
        context: PipelineContext::new("pipeline"),
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
            context: self.context,
            agents: self.agents,
            _types: PhantomData,
        }
    }

    /// Names the pipeline (the attributes name it after the function): events and
    /// metrics say which pipeline they come from, and breakers without a name of their
    /// own take it. Default: `"pipeline"`.
    ///
    /// ```
    /// let p = resilience_core::pipeline::pipeline::<Result<(), ()>>().name("my_app::gpt4").build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub const fn name(mut self, name: &'static str) -> Self {
        self.context = PipelineContext::new(name);
        self
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

    /// Gives call numbers `1..=count` to agents outside this builder: the agents it adds
    /// are numbered after them. The part of a pipeline below a `#[hedge]` is built on
    /// its own ([`build_part`](Self::build_part)), after the agents of the layers above.
    ///
    /// ```
    /// let mut builder = resilience_core::pipeline::pipeline::<Result<(), ()>>().skip_agents(2);
    /// assert_eq!(builder.reserve_agents(1), 3);
    /// ```
    #[inline(always)]
    pub const fn skip_agents(mut self, count: usize) -> Self {
        self.agents += count;
        self
    }

    /// Nests the layers around the call, as the part of a pipeline that a hedge runs
    /// once per copy ([`Hedge::run`](crate::hedge::Hedge::run)): like
    /// [`build`](Self::build), but not a pipeline of its own for
    /// [`fallback::observe`](crate::fallback::observe), so a fallback in it is reported
    /// as the function's.
    ///
    /// ```
    /// use resilience_core::pipeline::{pipeline, Flow};
    ///
    /// let mut part = pipeline::<Result<u8, ()>>().build_part();
    /// assert!(matches!(part.enter(), Flow::Call(0)));
    /// ```
    #[inline(always)]
    pub fn build_part(self) -> Pipeline<T, E, L::Stack<Body<T, E>>> {
        Pipeline::counted(
            Depth::uncounted(),
            Meter::part(self.context.name()),
            self.layers.wrap(Body::new(), &self.context),
        )
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
        // Counted first: nothing is built yet that the count's cold path would spill.
        let depth = Depth::entered();
        Pipeline::counted(
            depth,
            Meter::new(self.context.name()),
            self.layers.wrap(Body::new(), &self.context),
        )
    }
}

impl<T, E, L, Last> Builder<T, E, Then<L, Last>> {
    /// Changes the layer added last: how a pattern's builder method configures the
    /// layer its sibling just added (`.retry(..).budget(..)`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::{pipeline::pipeline, timeout::TimeoutLayer};
    /// # #[derive(Debug)] struct E; impl From<resilience_core::TimedOut> for E { fn from(_: resilience_core::TimedOut) -> Self { E } }
    ///
    /// let p = pipeline::<Result<u8, E>>()
    ///     .timeout(Duration::from_secs(1))
    ///     .map_last(|_| TimeoutLayer::new(Duration::from_secs(2)))
    ///     .build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn map_last<New>(self, change: impl FnOnce(Last) -> New) -> Builder<T, E, Then<L, New>> {
        let Then(outer, last) = self.layers;
        Builder {
            layers: Then(outer, change(last)),
            context: self.context,
            agents: self.agents,
            _types: PhantomData,
        }
    }
}
