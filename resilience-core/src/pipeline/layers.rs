//! The per-layer state a [`Pipeline`](super::Pipeline) keeps for one call.

use core::fmt::Debug;
use core::time::Duration;

use tokio::time::Instant;

use crate::circuit::{CircuitBreaker, Permit};
use crate::retry::RetryState;
use crate::{CircuitOpen, TimedOut};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Retry,
    Circuit,
    Timeout,
    Fallback,
}

pub(super) struct RetryLayer<'a, E> {
    pub(super) state: RetryState<'a>,
    pub(super) on: fn(&E) -> bool,
    pub(super) retry_after: Option<fn(&E) -> Option<Duration>>,
    /// `E: Debug` is known where the layer is added, not in the driver: keep the
    /// conversion as a function pointer so the driver needs no bound.
    pub(super) describe: fn(&E) -> &dyn Debug,
}

pub(super) struct CircuitLayer<'a, E> {
    pub(super) breaker: &'a CircuitBreaker,
    pub(super) counts: fn(&E) -> bool,
    /// The admission of the call in flight. Dropped without an outcome when an outer
    /// deadline cancels the call, which gives a half-open probe slot back.
    pub(super) permit: Option<Permit<'a>>,
    pub(super) open: fn(CircuitOpen) -> E,
}

pub(super) struct TimeoutLayer<E> {
    pub(super) after: Duration,
    /// Set on entry when the layer is not innermost (it then covers retry sleeps and
    /// several calls). The innermost timeout starts its clock lazily in the guard.
    pub(super) deadline: Option<Instant>,
    pub(super) timed_out: fn(TimedOut) -> E,
}

pub(super) struct FallbackLayer<'a, E> {
    pub(super) agents: &'a [&'static str],
    pub(super) on: fn(&E) -> bool,
    /// 0 while the primary runs, k while agent k runs.
    pub(super) level: usize,
}
