//! Metrics through the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`).
//!
//! Instruments named after OpenTelemetry's conventions, the way Polly's
//! `resilience.polly.*` are (its tag names too); whatever recorder the application
//! installs (Prometheus, OpenTelemetry, StatsD) exports them:
//!
//! | name | kind | tags | what |
//! |---|---|---|---|
//! | `resilience.events` | counter | `event.name`, `pipeline.name`, `strategy.name` | one per resilience event (below) |
//! | `resilience.attempt.duration` | histogram, seconds | `pipeline.name`, `outcome` | each call a pipeline makes (an attempt, an agent; with `#[hedge]`, each copy's calls, and the race once for the layers above the fork) |
//! | `resilience.pipeline.duration` | histogram, seconds | `pipeline.name`, `outcome` | each whole call, waits included |
//! | `resilience.circuit.state` | gauge | `circuit.name` | a breaker's state: 0 closed, 1 open, 2 half-open, 3 isolated (held open by hand); set at each transition, and for every registered breaker by [`record_circuit_states`] |
//!
//! `outcome` is `success`, `failure` or (attempts only) `timeout`. `pipeline.name` is
//! the function's path for an attribute stack, the layer's `name` for a service of
//! the `tower` module (default `tower::<pattern>`), and the protection's own name for an event outside any pipeline (a breaker tripped by hand).
//!
//! | `strategy.name` | `event.name` |
//! |---|---|
//! | `retry` | `retry` (a retry is scheduled), `give_up`, `budget_exhausted` |
//! | `circuit` | `circuit_opened`, `circuit_half_opened`, `circuit_closed`, `circuit_isolated`, `circuit_rejected` |
//! | `timeout` | `timeout` |
//! | `fallback` | `fallback` (an agent is called) |
//! | `hedge` | `hedge` (another copy starts), `budget_exhausted` |
//! | `rate_limit` | `rate_limited` (a call refused) |
//! | `bulkhead` | `bulkhead_rejected` |
//!
//! Without the feature none of this is compiled: the pipeline's meter is a zero-sized
//! no-op and no event site reads a clock or a thread-local.
//!
//! ```
//! use resilience_core::metrics;
//!
//! assert_eq!(metrics::EVENTS, "resilience.events");
//! assert_eq!(metrics::CIRCUIT_STATE, "resilience.circuit.state");
//! ```

use core::cell::{Cell, RefCell};
use core::time::Duration;

use crate::State;

/// The counter of resilience events.
///
/// ```
/// assert_eq!(resilience_core::metrics::EVENTS, "resilience.events");
/// ```
pub const EVENTS: &str = "resilience.events";

/// The histogram of each call's duration (an attempt, a fallback agent), in seconds.
///
/// ```
/// assert_eq!(resilience_core::metrics::ATTEMPT_DURATION, "resilience.attempt.duration");
/// ```
pub const ATTEMPT_DURATION: &str = "resilience.attempt.duration";

/// The histogram of each whole call's duration, waits included, in seconds.
///
/// ```
/// assert_eq!(resilience_core::metrics::PIPELINE_DURATION, "resilience.pipeline.duration");
/// ```
pub const PIPELINE_DURATION: &str = "resilience.pipeline.duration";

/// The gauge of each breaker's state: 0 closed, 1 open, 2 half-open, 3 isolated.
///
/// ```
/// assert_eq!(resilience_core::metrics::CIRCUIT_STATE, "resilience.circuit.state");
/// ```
pub const CIRCUIT_STATE: &str = "resilience.circuit.state";

thread_local! {
    /// The pipeline whose layers run on this thread now: set by the pipeline's driver
    /// around each step (`enter`, `leave`, a wait's poll), which is where every layer
    /// decides, so an event deep in a layer knows its pipeline without being told.
    static CURRENT: Cell<&'static str> = const { Cell::new("") };
}

/// The pipeline of this thread's events until dropped (then the previous one again).
pub(crate) struct Current(&'static str);

impl Current {
    pub(crate) fn enter(name: &'static str) -> Self {
        Current(CURRENT.with(|current| current.replace(name)))
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.0));
    }
}

/// Counts one event of `strategy`, for the pipeline running now or, outside one, for
/// `otherwise` (the protection's own name).
pub(crate) fn event(strategy: &'static str, event: &'static str, otherwise: &str) {
    let pipeline: metrics::SharedString = match CURRENT.with(Cell::get) {
        "" => otherwise.to_owned().into(),
        name => name.into(),
    };
    metrics::counter!(
        EVENTS,
        "event.name" => event,
        "pipeline.name" => pipeline,
        "strategy.name" => strategy,
    )
    .increment(1);
}

pub(crate) fn attempt(pipeline: &'static str, outcome: &'static str, took: Duration) {
    record(ATTEMPT_DURATION, pipeline, outcome, took);
}

pub(crate) fn call(pipeline: &'static str, outcome: &'static str, took: Duration) {
    record(PIPELINE_DURATION, pipeline, outcome, took);
}

/// A histogram handle per series, pipeline and outcome, and the recorder it came from.
type Handles = Vec<(&'static str, &'static str, &'static str, metrics::Histogram)>;

thread_local! {
    /// Handles this thread registered: `histogram!` with labels known only at run time
    /// builds its key (two allocations) on every call; a handle made once does not.
    /// Dropped when another recorder is installed, so none is kept from a previous one.
    static HANDLES: RefCell<(usize, Handles)> = const { RefCell::new((0, Vec::new())) };
}

/// Records `took` in `series` for `pipeline` and `outcome`, through this thread's handle.
fn record(series: &'static str, pipeline: &'static str, outcome: &'static str, took: Duration) {
    let recorder = metrics::with_recorder(|recorder| {
        (recorder as *const dyn metrics::Recorder).cast::<()>() as usize
    });
    HANDLES.with(|handles| {
        let mut handles = handles.borrow_mut();
        let (seen, handles) = &mut *handles;
        if *seen != recorder {
            *seen = recorder;
            handles.clear();
        }
        // By address: the names are `'static` strings of call sites, few per thread.
        let found = handles.iter().find(|(s, p, o, _)| {
            core::ptr::eq(*s, series) && core::ptr::eq(*p, pipeline) && core::ptr::eq(*o, outcome)
        });
        match found {
            Some((.., histogram)) => histogram.record(took.as_secs_f64()),
            None => {
                let histogram =
                    metrics::histogram!(series, "pipeline.name" => pipeline, "outcome" => outcome);
                histogram.record(took.as_secs_f64());
                handles.push((series, pipeline, outcome, histogram));
            }
        }
    });
}

/// A breaker called `name` is now `state`: the gauge, and the transition's event.
pub(crate) fn circuit(name: &str, state: State) {
    let event = match state {
        State::Closed => "circuit_closed",
        State::Open => "circuit_opened",
        State::HalfOpen => "circuit_half_opened",
        State::Isolated => "circuit_isolated",
    };
    circuit_gauge(name, state);
    self::event("circuit", event, name);
}

fn circuit_gauge(name: &str, state: State) {
    let value = match state {
        State::Closed => 0.0,
        State::Open => 1.0,
        State::HalfOpen => 2.0,
        State::Isolated => 3.0,
    };
    metrics::gauge!(CIRCUIT_STATE, "circuit.name" => name.to_owned()).set(value);
}

/// Sets [`CIRCUIT_STATE`] for every breaker in the registry ([`registry::circuits`]:
/// every `#[circuit]`'s from start-up, and those registered in code).
///
/// A breaker's gauge is set at each of its transitions; one that never moved (a
/// healthy service's) would have no gauge until then. Call this where the metrics are
/// read (a `/metrics` handler, before rendering) so every breaker has one from the
/// first scrape. It records no event.
///
/// [`registry::circuits`]: crate::registry::circuits
///
/// ```
/// use resilience_core::{circuit::CircuitBreaker, metrics};
///
/// static QUIET: CircuitBreaker = match CircuitBreaker::builder().name("docs::quiet").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
/// QUIET.register();
/// metrics::record_circuit_states(); // with a recorder installed: `docs::quiet` reads 0
/// ```
pub fn record_circuit_states() {
    for breaker in crate::registry::circuits() {
        circuit_gauge(breaker.name(), breaker.state());
    }
}
