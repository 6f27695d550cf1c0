//! The layers a [`Pipeline`](super::Pipeline) can hold, and the type-level plumbing that
//! lets the compiler see which ones it holds, in which order.
//!
//! You never name these types: `pipeline::<R>().circuit(..).retry(..)` builds them. They
//! are public only because they appear in the signatures of [`Pipeline`](super::Pipeline)'s
//! methods.
//!
//! # Why types, not runtime data
//!
//! A pipeline used to keep its layers as four `Option`s and their order as an array, and
//! walk that array on every call. The compiler could not see through it: a `#[retry]`
//! whose first attempt succeeded ran ~400 instructions of loops, `Option` checks and
//! copies of the result, and its future carried all four layers' state (~700 bytes).
//!
//! Now each slot is a type parameter that is either the layer or [`Absent`] (zero-sized,
//! every method a no-op), and the order is a type ([`Order`]) whose depths are constants.
//! The driver is the same walk, but after monomorphization every branch on a depth or a
//! slot is decided at compile time: a pipeline compiles to the code of the layers it has,
//! in its order, and stores only their state.

use core::fmt::Debug;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

use super::guard::{Guard, IDLE, Outcome, UNWATCHED, Unbounded, Watched};
use crate::circuit::{CircuitBreaker, Permit};
use crate::fallback::{self, Served};
use crate::retry::{RetryDecision, RetryPolicy, RetryState};
use crate::timeout::{timeout, timeout_at};
use crate::{CircuitOpen, TimedOut};

/// The depth of a layer that is not there.
pub(super) const NONE: usize = usize::MAX;

/// Where each layer sits, outermost first (`0`), as constants; `usize::MAX` when absent.
///
/// Built by the pipeline's builder methods: [`Order0`] for no layer, then one
/// [`WithRetry`], [`WithCircuit`], [`WithTimeout`] or [`WithFallback`] per layer added.
pub trait Order {
    /// How many layers.
    const LEN: usize;
    /// Depth of the retry layer.
    const RETRY: usize;
    /// Depth of the circuit-breaker layer.
    const CIRCUIT: usize;
    /// Depth of the timeout layer.
    const TIMEOUT: usize;
    /// Depth of the fallback layer.
    const FALLBACK: usize;
}

/// No layer yet.
#[derive(Debug)]
pub struct Order0;

impl Order for Order0 {
    const LEN: usize = 0;
    const RETRY: usize = NONE;
    const CIRCUIT: usize = NONE;
    const TIMEOUT: usize = NONE;
    const FALLBACK: usize = NONE;
}

macro_rules! with {
    ($(#[$doc:meta])* $name:ident, $kind:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name<O>(PhantomData<O>);

        impl<O: Order> Order for $name<O> {
            const LEN: usize = O::LEN + 1;
            const RETRY: usize = with!(@depth $kind, RETRY);
            const CIRCUIT: usize = with!(@depth $kind, CIRCUIT);
            const TIMEOUT: usize = with!(@depth $kind, TIMEOUT);
            const FALLBACK: usize = with!(@depth $kind, FALLBACK);
        }
    };
    (@depth RETRY, RETRY) => { O::LEN };
    (@depth CIRCUIT, CIRCUIT) => { O::LEN };
    (@depth TIMEOUT, TIMEOUT) => { O::LEN };
    (@depth FALLBACK, FALLBACK) => { O::LEN };
    (@depth $kind:ident, $other:ident) => { O::$other };
}

with!(
    /// `O`, then a retry layer inside it.
    WithRetry,
    RETRY
);
with!(
    /// `O`, then a circuit-breaker layer inside it.
    WithCircuit,
    CIRCUIT
);
with!(
    /// `O`, then a timeout layer inside it.
    WithTimeout,
    TIMEOUT
);
with!(
    /// `O`, then a fallback layer inside it.
    WithFallback,
    FALLBACK
);

/// An empty slot: the pipeline has no layer of this kind. Zero-sized; every method does
/// nothing (the driver never reaches the ones that would need a layer).
#[derive(Clone, Copy, Debug, Default)]
pub struct Absent;

// ===== retry =====

/// What the driver needs from the retry slot.
pub trait RetrySlot<E> {
    /// An attempt starts.
    fn start_attempt(&mut self);
    /// The attempt failed with `error`: the delay before the next one, or `None` to give up.
    fn on_error(&mut self, error: &E) -> Option<Duration>;
    /// Sleep until `wake` before the next attempt (polled by [`poll_sleep`](Self::poll_sleep));
    /// `expires`: `wake` is the deadline of a timeout above, not the end of the delay.
    fn sleep_until(&mut self, wake: Instant, expires: bool);
    /// Polls the sleep started by [`sleep_until`](Self::sleep_until); ready with its
    /// `expires`.
    fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<bool>;
}

impl<E> RetrySlot<E> for Absent {
    #[inline(always)]
    fn start_attempt(&mut self) {}
    #[inline(always)]
    fn on_error(&mut self, _: &E) -> Option<Duration> {
        None
    }
    #[inline(always)]
    fn sleep_until(&mut self, _: Instant, _: bool) {}
    #[inline(always)]
    fn poll_sleep(&mut self, _: &mut Context<'_>) -> Poll<bool> {
        Poll::Ready(false)
    }
}

/// The retry layer: re-runs everything inside it under a [`RetryPolicy`].
///
/// Until an attempt fails it holds only the policy and the `retry_after` reader (plus the
/// start instant with `max_elapsed`): the attempt count is implied (1). The state that
/// only a retry needs (count, jitter seed, the timer) lives in one box made at the first
/// retry and reused for the next ones, so a first-try success allocates nothing and its
/// future stays small.
pub struct RetryLayer<'a, E, On> {
    state: RetryHot<'a, E>,
    on: On,
}

enum RetryHot<'a, E> {
    /// Attempt 1 runs (or ran and gave up); no clock read.
    Fresh {
        policy: &'a RetryPolicy,
        retry_after: Option<fn(&E) -> Option<Duration>>,
    },
    /// Attempt 1 runs under a policy with `max_elapsed`, which needs its start.
    Started {
        policy: &'a RetryPolicy,
        retry_after: Option<fn(&E) -> Option<Duration>>,
        started: Instant,
    },
    /// At least one retry was decided.
    Retrying(Pin<Box<RetryCold<'a, E>>>),
}

pin_project! {
    struct RetryCold<'a, E> {
        state: RetryState<'a>,
        retry_after: Option<fn(&E) -> Option<Duration>>,
        // Made at the first sleep, reset for the next ones.
        #[pin]
        sleep: Option<Sleep>,
        // The sleep ends at a deadline above, not at the end of the delay.
        expires: bool,
    }
}

impl<'a, E, On> RetryLayer<'a, E, On> {
    pub(super) const fn new(
        policy: &'a RetryPolicy,
        on: On,
        retry_after: Option<fn(&E) -> Option<Duration>>,
    ) -> Self {
        Self {
            state: RetryHot::Fresh {
                policy,
                retry_after,
            },
            on,
        }
    }
}

impl<E: Debug, On: Fn(&E) -> bool> RetrySlot<E> for RetryLayer<'_, E, On> {
    #[inline]
    fn start_attempt(&mut self) {
        match &mut self.state {
            RetryHot::Fresh {
                policy,
                retry_after,
            } => {
                if policy.max_elapsed().is_some() {
                    let (policy, retry_after) = (*policy, *retry_after);
                    self.state = RetryHot::Started {
                        policy,
                        retry_after,
                        started: Instant::now(),
                    };
                }
            }
            RetryHot::Started { .. } => {}
            RetryHot::Retrying(cold) => cold.as_mut().project().state.start_attempt(),
        }
    }

    #[inline(never)]
    fn on_error(&mut self, error: &E) -> Option<Duration> {
        let retryable = (self.on)(error);
        let describe = error as &dyn Debug;
        match &mut self.state {
            RetryHot::Retrying(cold) => {
                let cold = cold.as_mut().project();
                let server_delay = cold.retry_after.and_then(|read| read(error));
                match cold.state.on_error(describe, retryable, server_delay) {
                    RetryDecision::Retry { delay } => Some(delay),
                    RetryDecision::GiveUp(_) => None,
                }
            }
            first => {
                let (policy, retry_after, started) = match first {
                    RetryHot::Fresh {
                        policy,
                        retry_after,
                    } => (*policy, *retry_after, None),
                    RetryHot::Started {
                        policy,
                        retry_after,
                        started,
                    } => (*policy, *retry_after, Some(*started)),
                    RetryHot::Retrying(_) => unreachable!("matched above"),
                };
                let mut state = RetryState::after_first_attempt(policy, started);
                let server_delay = retry_after.and_then(|read| read(error));
                match state.on_error(describe, retryable, server_delay) {
                    RetryDecision::Retry { delay } => {
                        *first = RetryHot::Retrying(Box::pin(RetryCold {
                            state,
                            retry_after,
                            sleep: None,
                            expires: false,
                        }));
                        Some(delay)
                    }
                    // Giving up after the first attempt allocates nothing.
                    RetryDecision::GiveUp(_) => None,
                }
            }
        }
    }

    fn sleep_until(&mut self, wake: Instant, expires: bool) {
        let RetryHot::Retrying(cold) = &mut self.state else {
            unreachable!("a retry sleep follows a retry decision");
        };
        let cold = cold.as_mut().project();
        *cold.expires = expires;
        let mut sleep = cold.sleep;
        match sleep.as_mut().as_pin_mut() {
            Some(timer) => timer.reset(wake),
            None => sleep.set(Some(tokio::time::sleep_until(wake))),
        }
    }

    fn poll_sleep(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let RetryHot::Retrying(cold) = &mut self.state else {
            unreachable!("a retry sleep follows a retry decision");
        };
        let cold = cold.as_mut().project();
        match cold.sleep.as_pin_mut() {
            Some(timer) => timer.poll(cx).map(|()| *cold.expires),
            None => Poll::Ready(*cold.expires),
        }
    }
}

// ===== circuit =====

/// What the driver needs from the circuit-breaker slot.
pub trait CircuitSlot<E> {
    /// Asks the breaker to admit the call below; `Err` is the rejection as `E`.
    fn acquire(&mut self) -> Result<(), E>;
    /// Reports how the call went (success, counted failure, or neither).
    fn record<T>(&mut self, result: &Result<T, E>);
    /// The call was cancelled: give the permit back without an outcome.
    fn cancel(&mut self);
    /// The future a guarded call is awaited as: watched for its own panics where a
    /// breaker needs to tell them from a sibling's (see [`Watched`]).
    type Watched<'s, G: Future + 's>: Future<Output = G::Output>
    where
        Self: 's;
    /// Wraps a guarded call.
    fn watch<'s, G: Future + 's>(&'s self, guard: G) -> Self::Watched<'s, G>;
}

impl<E> CircuitSlot<E> for Absent {
    type Watched<'s, G: Future + 's> = G;
    #[inline(always)]
    fn watch<'s, G: Future + 's>(&'s self, guard: G) -> G {
        guard
    }
    #[inline(always)]
    fn acquire(&mut self) -> Result<(), E> {
        Ok(())
    }
    #[inline(always)]
    fn record<T>(&mut self, _: &Result<T, E>) {}
    #[inline(always)]
    fn cancel(&mut self) {}
}

/// The circuit-breaker layer: everything inside it is one call of a [`CircuitBreaker`].
pub struct CircuitLayer<'a, E, Counts> {
    state: Admission<'a>,
    counts: Counts,
    /// Where the guarded call stands ([`Watched`]): `UNWATCHED` for blocking calls.
    call: AtomicU8,
    /// `E::from`, taken where `E: From<CircuitOpen>` is checked (see
    /// [`TimeoutLayer`]'s `timed_out`).
    open: fn(CircuitOpen) -> E,
}

impl<E, Counts> Drop for CircuitLayer<'_, E, Counts> {
    fn drop(&mut self) {
        // Dropped during a panic that did not come from inside our call's poll (a
        // sibling future of the same task panicked): the call was cancelled, not
        // failed. A permit dropped while panicking would count a failure, so hand it
        // back explicitly. Blocking calls are never watched: a panic while their
        // pipeline lives can only be the call's own.
        if self.call.load(Relaxed) == IDLE && std::thread::panicking() {
            let breaker = self.breaker();
            if let Admission::Held(permit) =
                core::mem::replace(&mut self.state, Admission::Idle(breaker))
            {
                permit.cancel();
            }
        }
    }
}

/// The breaker, or the permit of the call in flight (which knows its breaker).
enum Admission<'a> {
    Idle(&'a CircuitBreaker),
    /// Dropped without an outcome when an outer deadline cancels the call, which gives a
    /// half-open probe slot back.
    Held(Permit<'a>),
}

impl<'a, E, Counts> CircuitLayer<'a, E, Counts> {
    pub(super) const fn new(
        breaker: &'a CircuitBreaker,
        counts: Counts,
        open: fn(CircuitOpen) -> E,
    ) -> Self {
        Self {
            state: Admission::Idle(breaker),
            counts,
            call: AtomicU8::new(UNWATCHED),
            open,
        }
    }

    #[inline(always)]
    fn breaker(&self) -> &'a CircuitBreaker {
        match &self.state {
            Admission::Idle(breaker) => breaker,
            Admission::Held(permit) => permit.breaker(),
        }
    }
}

impl<E, Counts: Fn(&E) -> bool> CircuitSlot<E> for CircuitLayer<'_, E, Counts> {
    #[inline(always)]
    fn acquire(&mut self) -> Result<(), E> {
        let breaker = self.breaker();
        match breaker.try_acquire() {
            Ok(permit) => {
                // A permit still held would be a cancelled call: dropping it says so.
                self.state = Admission::Held(permit);
                Ok(())
            }
            Err(open) => Err(rejected(self.open, open)),
        }
    }

    #[inline(always)]
    fn record<T>(&mut self, result: &Result<T, E>) {
        let breaker = self.breaker();
        if let Admission::Held(permit) =
            core::mem::replace(&mut self.state, Admission::Idle(breaker))
        {
            match result {
                Ok(_) => permit.success(),
                Err(error) if (self.counts)(error) => permit.failure(),
                Err(_) => permit.ignore(),
            }
        }
    }

    #[inline]
    fn cancel(&mut self) {
        // Dropped without an outcome: a cancelled call counts as nothing.
        self.state = Admission::Idle(self.breaker());
    }

    type Watched<'s, G: Future + 's>
        = Watched<'s, G>
    where
        Self: 's;
    #[inline(always)]
    fn watch<'s, G: Future + 's>(&'s self, guard: G) -> Watched<'s, G> {
        Watched::new(guard, &self.call)
    }
}

#[cold]
#[inline(never)]
fn rejected<E>(from: fn(CircuitOpen) -> E, open: CircuitOpen) -> E {
    from(open)
}

// ===== timeout =====

/// What the driver needs from the timeout slot.
pub trait TimeoutSlot<T, E> {
    /// The future [`Pipeline::guard`](super::Pipeline::guard) returns.
    type Guard<F: Future<Output = Result<T, E>>>: Future<Output = Outcome<T, E>>;
    /// Wraps `call` in the deadline when `covered`.
    fn guard<F: Future<Output = Result<T, E>>>(&self, call: F, covered: bool) -> Self::Guard<F>;
    /// Entering the layer: fix the deadline now, unless `lazy` (then the guard starts it).
    fn enter(&mut self, lazy: bool);
    /// Leaving the layer with an outcome.
    fn leave(&mut self);
    /// The fixed deadline and the budget it came from, if one runs.
    fn deadline(&self) -> Option<(Instant, Duration)>;
    /// The deadline passed: leave the layer and turn `timed_out` into `E`.
    fn expire(&mut self, timed_out: TimedOut) -> E;
}

impl<T, E> TimeoutSlot<T, E> for Absent {
    type Guard<F: Future<Output = Result<T, E>>> = Unbounded<F>;

    #[inline(always)]
    fn guard<F: Future<Output = Result<T, E>>>(&self, call: F, _: bool) -> Unbounded<F> {
        Unbounded::new(call)
    }
    #[inline(always)]
    fn enter(&mut self, _: bool) {}
    #[inline(always)]
    fn leave(&mut self) {}
    #[inline(always)]
    fn deadline(&self) -> Option<(Instant, Duration)> {
        None
    }
    fn expire(&mut self, _: TimedOut) -> E {
        unreachable!("a deadline passed in a pipeline without a timeout")
    }
}

/// The timeout layer: everything inside it must finish within `after`.
pub struct TimeoutLayer<E> {
    after: Duration,
    /// Set on entry when the layer is not innermost (it then covers retry sleeps and
    /// several calls). The innermost timeout starts its clock lazily in the guard.
    deadline: Option<Instant>,
    /// `E::from`, taken where `E: From<TimedOut>` is checked (with a message that says
    /// what to add): bounds on the slot's impl would repeat that error once per method
    /// the expansion calls.
    timed_out: fn(TimedOut) -> E,
}

impl<E> TimeoutLayer<E> {
    pub(super) const fn new(after: Duration, timed_out: fn(TimedOut) -> E) -> Self {
        Self {
            after,
            deadline: None,
            timed_out,
        }
    }
}

impl<T, E> TimeoutSlot<T, E> for TimeoutLayer<E> {
    type Guard<F: Future<Output = Result<T, E>>> = Guard<F>;

    #[inline(always)]
    fn guard<F: Future<Output = Result<T, E>>>(&self, call: F, covered: bool) -> Guard<F> {
        match (covered, self.deadline) {
            (false, _) => Guard::Plain { call },
            (true, None) => Guard::Timed {
                call: timeout(self.after, call),
            },
            (true, Some(deadline)) => Guard::Timed {
                call: timeout_at(deadline, self.after, call),
            },
        }
    }

    #[inline(always)]
    fn enter(&mut self, lazy: bool) {
        self.deadline = if lazy {
            None
        } else {
            Instant::now().checked_add(self.after)
        };
    }

    #[inline(always)]
    fn leave(&mut self) {
        self.deadline = None;
    }

    #[inline(always)]
    fn deadline(&self) -> Option<(Instant, Duration)> {
        self.deadline.map(|deadline| (deadline, self.after))
    }

    #[inline(never)]
    fn expire(&mut self, timed_out: TimedOut) -> E {
        self.deadline = None;
        (self.timed_out)(timed_out)
    }
}

// ===== fallback =====

/// What the driver needs from the fallback slot.
pub trait FallbackSlot<E> {
    /// Entering the layer: the primary runs.
    fn reset(&mut self);
    /// Everything below failed with `error`: the agent to call (`1`), or `None`.
    fn primary_failed(&mut self, error: &E) -> Option<usize>;
    /// The agent in flight failed with `error`: the next agent to call, or `None`.
    fn agent_failed(&mut self, error: &E) -> Option<usize>;
    /// The agent in flight succeeded: report who served.
    fn agent_succeeded(&mut self);
    /// Whether the call in flight is an agent's (and forget it).
    fn take_calling(&mut self) -> bool;
    /// Whether the call in flight is an agent's.
    fn calling(&self) -> bool;
}

impl<E> FallbackSlot<E> for Absent {
    #[inline(always)]
    fn reset(&mut self) {}
    #[inline(always)]
    fn primary_failed(&mut self, _: &E) -> Option<usize> {
        None
    }
    #[inline(always)]
    fn agent_failed(&mut self, _: &E) -> Option<usize> {
        None
    }
    #[inline(always)]
    fn agent_succeeded(&mut self) {}
    #[inline(always)]
    fn take_calling(&mut self) -> bool {
        false
    }
    #[inline(always)]
    fn calling(&self) -> bool {
        false
    }
}

/// The fallback layer: when everything inside it fails, call the agents in order.
pub struct FallbackLayer<'a, E, On> {
    agents: &'a [&'static str],
    on: On,
    /// 0 while the primary runs, k while agent k runs.
    level: u32,
    /// The call in flight is agent `level`'s.
    calling: bool,
    _error: PhantomData<fn(&E)>,
}

impl<'a, E, On> FallbackLayer<'a, E, On> {
    pub(super) const fn new(agents: &'a [&'static str], on: On) -> Self {
        Self {
            agents,
            on,
            level: 0,
            calling: false,
            _error: PhantomData,
        }
    }
}

impl<E, On: Fn(&E) -> bool> FallbackSlot<E> for FallbackLayer<'_, E, On> {
    #[inline(always)]
    fn reset(&mut self) {
        self.level = 0;
        self.calling = false;
    }

    #[inline]
    fn primary_failed(&mut self, error: &E) -> Option<usize> {
        if self.level == 0 && !self.agents.is_empty() && (self.on)(error) {
            self.level = 1;
            self.calling = true;
            falling_back("primary", self.agents[0], 1);
            Some(1)
        } else {
            None
        }
    }

    #[inline]
    fn agent_failed(&mut self, error: &E) -> Option<usize> {
        // The filter applies at every level, as in `fallback::first_ok`: an error it
        // rejects is returned as it is, not handed to the next agent.
        if (self.level as usize) < self.agents.len() && (self.on)(error) {
            let from = self.agents[self.level as usize - 1];
            self.level += 1;
            self.calling = true;
            falling_back(
                from,
                self.agents[self.level as usize - 1],
                self.level as usize,
            );
            Some(self.level as usize)
        } else {
            None
        }
    }

    fn agent_succeeded(&mut self) {
        let level = self.level as usize;
        if let Some(by) = level.checked_sub(1).and_then(|i| self.agents.get(i)) {
            fallback::report(Served { by, level });
        }
    }

    #[inline(always)]
    fn take_calling(&mut self) -> bool {
        core::mem::take(&mut self.calling)
    }

    #[inline(always)]
    fn calling(&self) -> bool {
        self.calling
    }
}

/// The debug event `fallback::first_ok` emits too, so a subscriber sees each step down
/// (who failed, who is called next), not only who finally served.
#[cold]
fn falling_back(from: &str, to: &str, level: usize) {
    tracing::debug!(target: "resilience", from, to, level, "falling back");
}

#[cfg(test)]
mod tests {
    use super::*;

    type Four = WithTimeout<WithRetry<WithCircuit<WithFallback<Order0>>>>;

    #[test]
    fn depths_follow_the_order_of_the_builder_calls() {
        assert_eq!(Four::LEN, 4);
        assert_eq!(
            (Four::FALLBACK, Four::CIRCUIT, Four::RETRY, Four::TIMEOUT),
            (0, 1, 2, 3)
        );
        assert_eq!(WithRetry::<Order0>::CIRCUIT, NONE);
    }

    #[test]
    fn absent_layers_and_unused_filters_take_no_space() {
        assert_eq!(size_of::<Absent>(), 0);
        // The policy and the `retry_after` reader; the filter closure is zero-sized.
        let layer = RetryLayer::<(), _>::new(&RetryPolicy::DEFAULT, |_: &()| true, None);
        assert_eq!(size_of_val(&layer), 32);
        // The breaker or the permit, never both (16); `E::from` for a rejection (8), taken
        // where the `From` bound is checked so a missing impl is one error, not four; and
        // the flag that tells the call's own panic from a sibling's (1, padded).
        let breaker = CircuitBreaker::builder().build().unwrap();
        let layer = CircuitLayer::<(), _>::new(&breaker, |_: &()| true, |_| ());
        assert_eq!(size_of_val(&layer), 32);
    }
}
