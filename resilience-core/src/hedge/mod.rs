//! Hedged calls: when a call has not answered after a delay, start another copy (the
//! same call, or the next agent) without cancelling the first; the first `Ok` wins and
//! the others are dropped (Polly v8's, gRPC's and seatbelt's hedging).
//!
//! For the tail latency of a slow replica: an LLM request that usually answers in
//! 800 ms but sometimes sits for 20 s is hedged `after = 2s`, and the copy that lands
//! on a healthy replica answers first.
//!
//! - Copy `k` starts `k × after` after the first (at most [`max`](HedgePolicy::max)
//!   copies after it), each only if the function's [`RetryBudget`] (when it has one)
//!   pays for it, one retry's worth.
//! - The first `Ok` is returned and every other copy is dropped at that instant:
//!   whatever a copy holds (a breaker's permit, a limiter's reservation, a bulkhead's
//!   permit, an HTTP request in flight) is released then.
//! - A copy that fails does not start another: hedging is for latency, retrying
//!   failures is `#[retry]`'s job (put it above `#[hedge]`). When every copy started
//!   has failed and none runs, the last error is returned.
//! - With agents (`#[hedge(agents = [replica_b])]`), copy `k` calls the k-th agent in
//!   place of the body.
//!
//! In a pipeline, the layers below `#[hedge]` apply to each copy on its own (a
//! `#[timeout]` below it bounds each copy; a `#[circuit]` below it sees each copy),
//! and the layers above it see one call: each copy is a pass of its own through a fresh
//! pipeline of the layers below ([`Hedge::run`]).
//!
//! Events (target `resilience`): "hedging" (INFO: `pipeline`, `copy`, `by`) when a copy
//! starts, "hedge won" (INFO: `pipeline`, `copy`, `by`) when a copy after the first
//! answers first, "retry budget exhausted" (WARN: `budget`, `copy`) when the budget
//! refuses a copy.
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::hedge::{Hedge, HedgePolicy};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! static POLICY: HedgePolicy = resilience_core::ConfigError::unwrap_const(
//!     HedgePolicy::builder().after(Duration::from_secs(2)).max(2).build(),
//! );
//! let hedge = Hedge::new(&POLICY).name("docs::complete");
//! let start = tokio::time::Instant::now();
//! let answer = hedge
//!     .race(|copy| async move {
//!         // Copy 0 lands on a stuck replica, copy 1 on a slow one, copy 2 on a fast one.
//!         let took = [60, 30, 1][copy];
//!         tokio::time::sleep(Duration::from_secs(took)).await;
//!         Ok::<_, String>(format!("copy {copy}"))
//!     })
//!     .await;
//! assert_eq!(answer.unwrap(), "copy 2");
//! assert_eq!(start.elapsed(), Duration::from_secs(4 + 1));
//! # Ok::<(), resilience_core::ConfigError>(())
//! # }).unwrap();
//! ```

mod policy;
mod race;

use core::future::Future;

#[cfg(feature = "config")]
pub(crate) use policy::MAX_EXTRA;
pub use policy::{HedgePolicy, HedgePolicyBuilder};
pub use race::Hedged;

use crate::fallback::Agent;
use crate::pipeline::{Pipeline, Stack};
use crate::retry::{Budget, NoBudget, RetryBudget};

/// A [`HedgePolicy`] ready to run: the pipeline's name (for events), the budget that
/// pays for each extra copy, and the agents the copies call.
///
/// ```
/// use resilience_core::hedge::{Hedge, HedgePolicy};
/// use resilience_core::retry::RetryBudget;
///
/// let policy = HedgePolicy::builder().build()?;
/// let budget = RetryBudget::builder().build()?;
/// let hedge = Hedge::new(&policy).name("llm").budget(&budget);
/// # let _ = hedge;
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Hedge<'a, B = NoBudget> {
    policy: &'a HedgePolicy,
    budget: B,
    name: &'static str,
    agents: &'a [Agent],
    /// The call number of the first agent.
    first_agent: usize,
}

impl<'a> Hedge<'a> {
    /// A hedge following `policy`, with no budget and no agents.
    ///
    /// ```
    /// # use resilience_core::hedge::{Hedge, HedgePolicy};
    /// let policy = HedgePolicy::builder().build()?;
    /// let hedge = Hedge::new(&policy);
    /// # let _ = hedge;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new(policy: &'a HedgePolicy) -> Self {
        Hedge {
            policy,
            budget: NoBudget,
            name: "hedge",
            agents: &[],
            first_agent: 1,
        }
    }

    /// Each extra copy must be paid for by `budget`, one retry's worth; when it cannot
    /// be, no more copies start (the ones running go on).
    ///
    /// ```
    /// # use resilience_core::{hedge::{Hedge, HedgePolicy}, retry::RetryBudget};
    /// let policy = HedgePolicy::builder().build()?;
    /// let budget = RetryBudget::builder().build()?;
    /// let hedge = Hedge::new(&policy).budget(&budget);
    /// # let _ = hedge;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn budget<'b>(self, budget: &'b RetryBudget) -> Hedge<'a, &'b RetryBudget> {
        Hedge {
            policy: self.policy,
            budget,
            name: self.name,
            agents: self.agents,
            first_agent: self.first_agent,
        }
    }
}

impl<'a, B> Hedge<'a, B> {
    /// Names the hedged call in events (the attribute names it after the function).
    ///
    /// ```
    /// # use resilience_core::hedge::{Hedge, HedgePolicy};
    /// let policy = HedgePolicy::builder().build()?;
    /// let hedge = Hedge::new(&policy).name("my_app::complete");
    /// # let _ = hedge;
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[must_use]
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Copy `k` (from 1) calls the k-th of `agents` (named as for a fallback: see
    /// [`Agent`]) in place of the body: call number `first + k - 1` of the pipeline's
    /// calls (see [`call`](Self::call)).
    ///
    /// ```
    /// # use resilience_core::{fallback::Agent, hedge::{Hedge, HedgePolicy}};
    /// let policy = HedgePolicy::builder().build()?;
    /// let agents = [Agent::named("replica_b")];
    /// let hedge = Hedge::new(&policy).agents(&agents, 1);
    /// assert_eq!(hedge.call(1, 0), 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[must_use]
    pub const fn agents(mut self, agents: &'a [Agent], first: usize) -> Self {
        self.agents = agents;
        self.first_agent = first;
        self
    }

    /// The call that copy `copy` makes where the stack below the hedge asks for call
    /// `n` (`0` the body): the body becomes copy `k`'s agent, any other call stays.
    ///
    /// ```
    /// # use resilience_core::{fallback::Agent, hedge::{Hedge, HedgePolicy}};
    /// let policy = HedgePolicy::builder().max(2).build()?;
    /// let agents = [Agent::named("b"), Agent::named("c")];
    /// let hedge = Hedge::new(&policy).agents(&agents, 3);
    /// assert_eq!([hedge.call(0, 0), hedge.call(1, 0), hedge.call(2, 0)], [0, 3, 4]);
    /// assert_eq!(hedge.call(2, 5), 5); // a fallback agent below the hedge
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn call(&self, copy: usize, n: usize) -> usize {
        if n == 0 && copy >= 1 && copy <= self.agents.len() {
            self.first_agent + copy - 1
        } else {
            n
        }
    }

    /// Who copy `copy` calls, for events.
    fn by(&self, copy: usize) -> &'static str {
        match copy.checked_sub(1).and_then(|i| self.agents.get(i)) {
            Some(agent) => agent.name(),
            None => self.name,
        }
    }

    fn hedging(&self, copy: usize) {
        #[cfg(feature = "metrics")]
        crate::metrics::event("hedge", "hedge", self.name);
        tracing::info!(target: "resilience", pipeline = self.name, copy, by = self.by(copy), "hedging");
    }

    fn won(&self, copy: usize) {
        tracing::info!(target: "resilience", pipeline = self.name, copy, by = self.by(copy), "hedge won");
    }
}

impl<'a, B: Budget> Hedge<'a, B> {
    fn refused(&self, copy: usize) {
        #[cfg(feature = "metrics")]
        crate::metrics::event("hedge", "budget_exhausted", self.name);
        tracing::warn!(
            target: "resilience",
            budget = self.budget.name(),
            pipeline = self.name,
            copy,
            "retry budget exhausted",
        );
    }

    /// Races copies of a call: `copy(k)` makes copy `k` (`0` first), started as the
    /// [module docs](self) say. See [`Hedged`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::hedge::{Hedge, HedgePolicy};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let policy = HedgePolicy::builder().build()?;
    /// let answer = Hedge::new(&policy).race(|copy| async move { Ok::<_, ()>(copy) }).await;
    /// assert_eq!(answer, Ok(0)); // answered at once: no copy after it
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn race<'h, T, E, C, F>(&'h self, copy: C) -> Hedged<'h, T, E, C, F, B>
    where
        C: FnMut(usize) -> F,
        F: Future<Output = Result<T, E>>,
    {
        Hedged::new(self, copy)
    }

    /// The hedged call of a pipeline: each copy is a pass of its own through a fresh
    /// pipeline of the layers below the hedge (`part`, built with
    /// [`Builder::build_part`](crate::pipeline::Builder::build_part)), making its calls
    /// with `calls(n)` (`0` the body, `k` the k-th agent; see [`call`](Self::call)).
    /// The layers above the hedge guard it as one call.
    ///
    /// `#[hedge]` expands into [`race`](Self::race) with this loop written out in the
    /// function instead: the future of this generic method is not provably `Send` when
    /// a layer of the part borrows (a breaker, a policy), because the lifetime bound of
    /// that layer's guard is then checked for every lifetime (rust-lang/rust#110338).
    /// Use it where the future need not be `Send`, or write the pass out likewise.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::{hedge::{Hedge, HedgePolicy}, pipeline::pipeline, TimedOut};
    /// # #[derive(Debug, PartialEq)] struct E; impl From<TimedOut> for E { fn from(_: TimedOut) -> Self { E } }
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let policy = HedgePolicy::builder().after(Duration::from_secs(1)).build()?;
    /// let hedge = Hedge::new(&policy);
    /// // A 1.5 s timeout on each copy: copy 0 (started at 0 s) times out at 1.5 s,
    /// // copy 1 (started at 1 s) answers at 2 s.
    /// let part = || pipeline::<Result<u8, E>>().timeout(Duration::from_millis(1500)).build_part();
    /// let first_sleeps_longer = std::cell::Cell::new(true);
    /// let calls = |n: usize| {
    ///     let took = if first_sleeps_longer.replace(false) { 5 } else { 1 };
    ///     async move {
    ///         tokio::time::sleep(Duration::from_secs(took)).await;
    ///         Ok::<u8, E>(n as u8 + 7)
    ///     }
    /// };
    /// let start = tokio::time::Instant::now();
    /// assert_eq!(hedge.run(&part, &calls).await, Ok(7));
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// # }).unwrap();
    /// ```
    pub fn run<'h, T, E, S, P, M, F>(
        &'h self,
        part: &'h P,
        calls: &'h M,
    ) -> impl Future<Output = Result<T, E>> + 'h
    where
        P: Fn() -> Pipeline<T, E, S>,
        S: Stack<T, E> + 'h,
        M: Fn(usize) -> F,
        F: Future<Output = Result<T, E>> + 'h,
        T: 'h,
        E: 'h,
    {
        self.race(move |copy| async move {
            let mut pass = part();
            pass.run(|n| calls(self.call(copy, n))).await
        })
    }
}
