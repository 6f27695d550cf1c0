//! The fallback layer of a pipeline: agents called in place of the stack below it.

use core::future::Future;
use core::task::{Context, Poll, ready};

use super::report::{report_from_pipeline, retract};
use super::{Agent, Served};
use crate::pipeline::{
    Builder, Either, Layer, Outcome, PipelineContext, Stack, Step, Then, Unbounded,
};

/// `#[fallback]`'s layer: when everything below it fails with an error that `on`
/// accepts, call the agents in order until one returns `Ok`.
///
/// Agents run in place of the stack below the layer (none of its retries, breakers or
/// deadlines applies to them) and under every layer above it. They are numbered for
/// [`Step::Call`] from `first` (see [`Builder::reserve_agents`]). The filter applies at
/// every level: an error it rejects is returned as it is, not handed to the next agent.
///
/// ```
/// use resilience_core::{fallback::{Agent, FallbackLayer}, pipeline::pipeline};
///
/// let mut builder = pipeline::<Result<u8, ()>>();
/// let first = builder.reserve_agents(1);
/// let agents = [Agent::named("cache")];
/// let mut p = builder.layer(FallbackLayer::new(&agents, |_: &()| true, first)).build();
/// assert_eq!(p.run_blocking(|n| if n == 0 { Err(()) } else { Ok(7) }), Ok(7));
/// ```
pub struct FallbackLayer<'a, E, On> {
    agents: &'a [Agent],
    on: On,
    /// `on(error)`, taken where `On: Fn(&E) -> bool` is checked: the layer carries no
    /// bound, so a `when` of the wrong type is one compile error.
    test: fn(&On, &E) -> bool,
    first: usize,
}

impl<'a, E, On> FallbackLayer<'a, E, On> {
    /// The layer for `agents` (by name, for events and [`Served`]), falling back on
    /// the errors `on` accepts; agent 1 is call number `first`.
    ///
    /// ```
    /// use resilience_core::fallback::{Agent, FallbackLayer};
    ///
    /// let agents = [Agent::named("gpt35")];
    /// let layer = FallbackLayer::new(&agents, |_: &()| true, 1);
    /// # let _ = layer;
    /// ```
    pub fn new(agents: &'a [Agent], on: On, first: usize) -> Self
    where
        On: Fn(&E) -> bool,
    {
        Self {
            agents,
            on,
            test: |on, error| on(error),
            first,
        }
    }
}

impl<'a, T, E, On> Layer<T, E> for FallbackLayer<'a, E, On> {
    type Stack<S: Stack<T, E>> = FallbackStack<'a, E, On, S>;

    #[inline(always)]
    fn wrap<S: Stack<T, E>>(
        self,
        inner: S,
        context: &PipelineContext,
    ) -> FallbackStack<'a, E, On, S> {
        FallbackStack {
            name: context.name(),
            layer: self,
            level: 0,
            inner,
        }
    }
}

impl<T, E, L: Layer<T, E>> Builder<T, E, L> {
    /// Adds a fallback layer: when everything added after it fails with an error that
    /// `on` accepts, call the agents named in `agents` in order (see [`FallbackLayer`]).
    ///
    /// ```
    /// # use resilience_core::pipeline::pipeline;
    /// use resilience_core::fallback::Agent;
    ///
    /// let agents = [Agent::named("gpt35"), Agent::named("local_llm")];
    /// let p = pipeline::<Result<(), String>>().fallback(&agents, |_| true).build();
    /// # let _ = p;
    /// ```
    #[inline(always)]
    pub fn fallback<'a, On: Fn(&E) -> bool>(
        mut self,
        agents: &'a [Agent],
        on: On,
    ) -> Builder<T, E, Then<L, FallbackLayer<'a, E, On>>> {
        let first = self.reserve_agents(agents.len());
        self.layer(FallbackLayer::new(agents, on, first))
    }
}

/// A [`FallbackLayer`] around the stack `S`.
pub struct FallbackStack<'a, E, On, S> {
    /// The pipeline's name: who falls back, in events.
    name: &'static str,
    layer: FallbackLayer<'a, E, On>,
    /// 0 while the stack below runs, k while agent k runs.
    level: usize,
    inner: S,
}

impl<E, On, S> FallbackStack<'_, E, On, S> {
    /// The call at `level` failed with `error`: the next agent's call, or `None`.
    #[inline(never)]
    fn next_agent(&mut self, error: &E) -> Option<usize> {
        let agents = self.layer.agents;
        if self.level >= agents.len() || !(self.layer.test)(&self.layer.on, error) {
            return None;
        }
        let from = match self.level {
            0 => self.name,
            level => agents[level - 1].name(),
        };
        self.level += 1;
        let to = agents[self.level - 1].name();
        #[cfg(feature = "metrics")]
        crate::metrics::event("fallback", "fallback", self.name);
        tracing::debug!(target: "resilience", from, to, level = self.level, "falling back");
        Some(self.layer.first + self.level - 1)
    }

    /// An agent answered.
    #[cold]
    fn agent_done<T>(&mut self, result: Result<T, E>) -> Step<T, E> {
        if let Err(error) = &result {
            if let Some(call) = self.next_agent(error) {
                return Step::Call(call);
            }
        } else {
            let by = self.layer.agents[self.level - 1].name();
            report_from_pipeline(Served {
                by,
                level: self.level,
            });
        }
        self.level = 0;
        Step::done(result)
    }
}

impl<E, On, S> FallbackStack<'_, E, On, S> {
    /// What the stack below answered: passed up, or the first agent called.
    #[inline(always)]
    fn up<T>(&mut self, step: Step<T, E>) -> Step<T, E> {
        if let Step::Done {
            result: Err(error), ..
        } = &step
        {
            if let Some(call) = self.next_agent(error) {
                return Step::Call(call);
            }
        }
        step
    }
}

impl<T, E, On, S: Stack<T, E>> Stack<T, E> for FallbackStack<'_, E, On, S> {
    const HEIGHT: u32 = S::HEIGHT + 1;
    type Guard<'s, F: Future<Output = Result<T, E>>>
        = Either<S::Guard<'s, F>, Unbounded<F>>
    where
        Self: 's;

    #[inline(always)]
    fn enter(&mut self) -> Step<T, E> {
        if self.level != 0 {
            // Entered again by an outer layer after an agent answered.
            self.level = 0;
        }
        retract();
        let step = self.inner.enter();
        self.up(step)
    }

    #[inline(always)]
    fn guard<'s, F: Future<Output = Result<T, E>>>(
        &'s self,
        call: F,
    ) -> Either<S::Guard<'s, F>, Unbounded<F>> {
        if self.level == 0 {
            Either::Left {
                guard: self.inner.guard(call),
            }
        } else {
            // An agent runs in place of the stack below.
            Either::Right {
                guard: Unbounded::new(call),
            }
        }
    }

    #[inline(always)]
    fn leave(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        if self.level == 0 {
            let step = self.inner.leave(outcome);
            self.up(step)
        } else {
            self.agent_done(outcome.into_result())
        }
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Step<T, E>> {
        // Agents never wait here: only the stack below does.
        let step = ready!(self.inner.poll_wait(cx));
        Poll::Ready(self.up(step))
    }

    fn wait_blocking(&mut self) -> Step<T, E> {
        let step = self.inner.wait_blocking();
        self.up(step)
    }

    fn cancel(&mut self) {
        if self.level == 0 {
            self.inner.cancel();
        }
        self.level = 0;
    }
}
