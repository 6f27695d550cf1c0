//! Walking the layers: down before a call, up after it.
//!
//! Layers sit outermost first in `order`. Going *down* (`descend`) each layer gets
//! ready for the call below it: retry counts an attempt, the breaker admits or
//! rejects, a timeout fixes its deadline, a fallback resets to the primary. Going *up*
//! (`ascend`) each layer sees the outcome of everything below it and either passes it
//! on or turns around: retry sleeps and goes down again, a fallback calls its next
//! agent. An expired deadline (`expire`) cancels what runs below its layer and
//! becomes that layer's error.

use core::future::Future;
use core::time::Duration;

use tokio::time::Instant;

use super::layers::Kind;
use super::{Guard, Outcome, Pipeline, Step};
use crate::TimedOut;
use crate::fallback::{self, Served};
use crate::retry::RetryDecision;
use crate::timeout::{timeout, timeout_at};

/// What the driver does next, before it has something to tell its caller.
enum Action<T, E> {
    Step(Step<T, E>),
    /// Sleep, then go down again from the retry layer at `depth`.
    Sleep {
        delay: Duration,
        depth: usize,
    },
}

/// The deadline that covers the call in flight.
enum Cover {
    /// Starts when the call first waits (the innermost timeout: no clock read for a
    /// call that is ready at once).
    Lazy(Duration),
    At(Instant, Duration),
}

impl<T, E> Pipeline<'_, T, E> {
    /// Goes down through every layer to the first call (or straight to an answer, when a
    /// breaker rejects it). Sleeps first if an outer retry retries that rejection.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<(), ()>>();
    /// assert!(matches!(p.start().await, Step::Call(0)));
    /// # });
    /// ```
    pub async fn start(&mut self) -> Step<T, E> {
        self.guarded = true;
        let action = self.descend(0);
        self.settle(action).await
    }

    /// [`start`](Self::start) for a blocking function: sleeps with
    /// [`std::thread::sleep`].
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<(), ()>>();
    /// assert!(matches!(p.start_blocking(), Step::Call(0)));
    /// ```
    pub fn start_blocking(&mut self) -> Step<T, E> {
        let action = self.descend(0);
        self.settle_blocking(action)
    }

    /// Wraps the call that [`Step::Call`] asked for in the deadline that covers it.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, ()>>();
    /// let _ = p.start().await;
    /// let outcome = p.guard(async { Ok(3) }).await;
    /// assert!(matches!(p.next(outcome).await, Step::Done(Ok(3))));
    /// # });
    /// ```
    pub fn guard<F>(&mut self, call: F) -> Guard<'_, F>
    where
        F: Future<Output = Result<T, E>>,
    {
        let call_panicked = &self.call_panicked;
        match self.cover() {
            None => Guard::plain(call, call_panicked),
            Some(Cover::Lazy(after)) => Guard::timed(timeout(after, call), call_panicked),
            Some(Cover::At(deadline, after)) => {
                Guard::timed(timeout_at(deadline, after, call), call_panicked)
            }
        }
    }

    /// Hands over the outcome of the call [`Step::Call`] asked for; returns what to do
    /// next, after any retry delay.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start().await;
    /// let step = p.next(Err("no").into()).await;
    /// assert!(matches!(step, Step::Done(Err("no"))));
    /// # });
    /// ```
    pub async fn next(&mut self, outcome: Outcome<T, E>) -> Step<T, E> {
        let action = self.deliver(outcome);
        self.settle(action).await
    }

    /// [`next`](Self::next) for a blocking function.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start_blocking();
    /// assert!(matches!(p.next_blocking(Ok(1)), Step::Done(Ok(1))));
    /// ```
    pub fn next_blocking(&mut self, result: Result<T, E>) -> Step<T, E> {
        let action = self.deliver(Outcome(Ok(result)));
        self.settle_blocking(action)
    }

    /// The answer for a pipeline that calls its body at most once (no retry, no
    /// fallback): what the macros use when the body may consume its arguments.
    ///
    /// ```
    /// # use resilience_core::pipeline::{pipeline, Step};
    /// let mut p = pipeline::<Result<u8, &str>>();
    /// let _ = p.start_blocking();
    /// assert_eq!(p.finish(Ok(2).into()), Ok(2));
    /// ```
    pub fn finish(&mut self, outcome: Outcome<T, E>) -> Result<T, E> {
        match self.deliver(outcome) {
            Action::Step(Step::Done(result)) => result,
            // Only retry sleeps and only fallback calls again; the macros use `finish`
            // without either, so this arm is unreachable from generated code.
            Action::Step(Step::Call(_)) | Action::Sleep { .. } => {
                unreachable!("`Pipeline::finish` on a pipeline with a retry or fallback layer")
            }
        }
    }

    async fn settle(&mut self, mut action: Action<T, E>) -> Step<T, E> {
        loop {
            match action {
                Action::Step(step) => return step,
                Action::Sleep { delay, depth } => {
                    action = match self.deadline_above(depth) {
                        Some((deadline, after, timeout_depth)) => {
                            match timeout_at(deadline, after, tokio::time::sleep(delay)).await {
                                Ok(()) => self.descend(depth),
                                Err(timed_out) => self.expire(timeout_depth, timed_out),
                            }
                        }
                        None => {
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            self.descend(depth)
                        }
                    };
                }
            }
        }
    }

    fn settle_blocking(&mut self, mut action: Action<T, E>) -> Step<T, E> {
        loop {
            match action {
                Action::Step(step) => return step,
                Action::Sleep { delay, depth } => {
                    if !delay.is_zero() {
                        std::thread::sleep(delay);
                    }
                    action = self.descend(depth);
                }
            }
        }
    }

    fn depth_of(&self, kind: Kind) -> Option<usize> {
        self.order[..self.len].iter().position(|k| *k == kind)
    }

    /// A timeout with nothing below it that sleeps or calls again covers exactly one
    /// call, so its clock can start lazily inside that call.
    fn timeout_is_lazy(&self, depth: usize) -> bool {
        !self.order[depth + 1..self.len]
            .iter()
            .any(|k| matches!(k, Kind::Retry | Kind::Fallback))
    }

    fn cover(&self) -> Option<Cover> {
        let layer = self.timeout.as_ref()?;
        let depth = self.depth_of(Kind::Timeout)?;
        if let Some(fallback_depth) = self.agent_of {
            // An agent runs in place of everything below its fallback layer.
            if depth > fallback_depth {
                return None;
            }
        }
        Some(match layer.deadline {
            Some(deadline) => Cover::At(deadline, layer.after),
            None => Cover::Lazy(layer.after),
        })
    }

    fn deadline_above(&self, depth: usize) -> Option<(Instant, Duration, usize)> {
        let timeout_depth = self.depth_of(Kind::Timeout).filter(|d| *d < depth)?;
        let layer = self.timeout.as_ref()?;
        Some((layer.deadline?, layer.after, timeout_depth))
    }

    fn deliver(&mut self, outcome: Outcome<T, E>) -> Action<T, E> {
        match outcome.0 {
            Err(timed_out) => match self.depth_of(Kind::Timeout) {
                Some(depth) => self.expire(depth, timed_out),
                // A guard only times out under a timeout layer.
                None => unreachable!("a deadline passed in a pipeline without a timeout"),
            },
            Ok(result) => match self.agent_of.take() {
                None => self.ascend(self.len, result),
                Some(fallback_depth) => self.agent_done(fallback_depth, result),
            },
        }
    }

    /// Readies the layers from `from` down, then asks for the body.
    fn descend(&mut self, from: usize) -> Action<T, E> {
        self.agent_of = None;
        for depth in from..self.len {
            match self.order[depth] {
                Kind::Retry => {
                    if let Some(layer) = self.retry.as_mut() {
                        layer.state.start_attempt();
                    }
                }
                Kind::Circuit => {
                    if let Some(layer) = self.circuit.as_mut() {
                        match layer.breaker.try_acquire() {
                            Ok(permit) => layer.permit = Some(permit),
                            Err(open) => {
                                let error = (layer.open)(open);
                                return self.ascend(depth, Err(error));
                            }
                        }
                    }
                }
                Kind::Timeout => {
                    let lazy = self.timeout_is_lazy(depth);
                    if let Some(layer) = self.timeout.as_mut() {
                        layer.deadline = if lazy {
                            None
                        } else {
                            Instant::now().checked_add(layer.after)
                        };
                    }
                }
                Kind::Fallback => {
                    if let Some(layer) = self.fallback.as_mut() {
                        layer.level = 0;
                    }
                }
            }
        }
        Action::Step(Step::Call(0))
    }

    /// Hands `result`, the outcome of everything below layer `above`, up through the
    /// layers `above - 1` to `0`.
    fn ascend(&mut self, mut above: usize, result: Result<T, E>) -> Action<T, E> {
        while above > 0 {
            let depth = above - 1;
            above = depth;
            match self.order[depth] {
                Kind::Retry => {
                    let (Some(layer), Err(error)) = (self.retry.as_mut(), &result) else {
                        continue;
                    };
                    let retryable = (layer.on)(error);
                    let server_delay = layer.retry_after.and_then(|read| read(error));
                    let decision =
                        layer
                            .state
                            .on_error((layer.describe)(error), retryable, server_delay);
                    if let RetryDecision::Retry { delay } = decision {
                        return Action::Sleep { delay, depth };
                    }
                }
                Kind::Circuit => {
                    let Some(layer) = self.circuit.as_mut() else {
                        continue;
                    };
                    if let Some(permit) = layer.permit.take() {
                        match &result {
                            Ok(_) => permit.success(),
                            Err(error) if (layer.counts)(error) => permit.failure(),
                            Err(_) => permit.ignore(),
                        }
                    }
                }
                Kind::Timeout => {
                    if let Some(layer) = self.timeout.as_mut() {
                        layer.deadline = None;
                    }
                }
                Kind::Fallback => {
                    let (Some(layer), Err(error)) = (self.fallback.as_mut(), &result) else {
                        continue;
                    };
                    if layer.level == 0 && !layer.agents.is_empty() && (layer.on)(error) {
                        layer.level = 1;
                        self.agent_of = Some(depth);
                        return Action::Step(Step::Call(1));
                    }
                }
            }
        }
        Action::Step(Step::Done(result))
    }

    /// The agent called by the fallback layer at `depth` finished.
    fn agent_done(&mut self, depth: usize, result: Result<T, E>) -> Action<T, E> {
        if let Some(layer) = self.fallback.as_mut() {
            match &result {
                Ok(_) => {
                    if let Some(by) = layer.agents.get(layer.level - 1) {
                        fallback::report(Served {
                            by,
                            level: layer.level,
                        });
                    }
                }
                // The filter applies at every level, as in `fallback::first_ok`: an
                // error it rejects is returned as it is, not handed to the next agent.
                Err(error) if layer.level < layer.agents.len() && (layer.on)(error) => {
                    layer.level += 1;
                    self.agent_of = Some(depth);
                    return Action::Step(Step::Call(layer.level));
                }
                Err(_) => {}
            }
        }
        self.ascend(depth, result)
    }

    /// The deadline of the timeout layer at `depth` passed: cancel what runs below it
    /// and hand its error up.
    fn expire(&mut self, depth: usize, timed_out: TimedOut) -> Action<T, E> {
        if self.depth_of(Kind::Circuit).is_some_and(|d| d > depth) {
            if let Some(layer) = self.circuit.as_mut() {
                // Dropped without an outcome: a cancelled call counts as nothing.
                layer.permit = None;
            }
        }
        self.agent_of = None;
        let Some(layer) = self.timeout.as_mut() else {
            unreachable!("`expire` is only called with a timeout layer's depth");
        };
        layer.deadline = None;
        let error = (layer.timed_out)(timed_out);
        self.ascend(depth, Err(error))
    }
}
