//! A lock-free circuit breaker: stop calling a service that keeps failing, and find out
//! cheaply when it has recovered.
//!
//! ```text
//!            threshold consecutive failures
//!   Closed ───────────────────────────────────▶ Open ◀──────────┐
//!     ▲                                           │              │ any counted failure
//!     │ success_threshold successes               │ recovery     │ (fresh recovery)
//!     │                                           ▼ elapsed,     │
//!     └─────────────────────────────────────── HalfOpen ─────────┘
//!                                         at the next call; at most
//!                                         `probes` calls in flight
//! ```
//!
//! Every call asks [`CircuitBreaker::try_acquire`] for a [`Permit`] and reports how it
//! went by consuming the permit: [`success`](Permit::success),
//! [`failure`](Permit::failure) or [`ignore`](Permit::ignore). Or let
//! [`call`](CircuitBreaker::call), [`call_when`](CircuitBreaker::call_when) and
//! [`call_blocking`](CircuitBreaker::call_blocking) do it.
//!
//! ```
//! use std::time::Duration;
//! use resilience_core::circuit::{CircuitBreaker, CircuitOpen, State};
//!
//! let breaker = CircuitBreaker::builder()
//!     .name("gpt4")
//!     .threshold(2)
//!     .recovery(Duration::from_secs(30))
//!     .build()?;
//!
//! for _ in 0..2 {
//!     breaker.try_acquire().expect("closed").failure();
//! }
//! assert_eq!(breaker.state(), State::Open);
//! let err: CircuitOpen = breaker.try_acquire().unwrap_err();
//! assert_eq!(err.name(), "gpt4");
//! # Ok::<(), resilience_core::ConfigError>(())
//! ```
//!
//! # Why consecutive failures
//!
//! The breaker opens after `threshold` failures *in a row*; a success in between starts
//! the count again. A rate over a window (resilience4j's default) needs a ring buffer or
//! time buckets written on every call, and a minimum call volume before it means
//! anything. A run of consecutive failures is the signal that matters for the services
//! this crate targets (an API that is down fails every call), it is one integer kept in
//! the same atomic word as the state, and it makes the closed-state success path a load
//! and a compare: nothing is written while the count is already zero.
//!
//! # Why an RAII permit
//!
//! A probe let through while half-open holds one of the `probes` slots. If its future
//! is dropped (a `select!`, a timeout above it, a client hanging up), nobody reports an
//! outcome; a breaker that counted slots with plain calls would keep that slot forever
//! and reject every later call (a known failure mode of other Rust breakers). A
//! [`Permit`] that is dropped without an outcome gives its slot back and counts as
//! nothing. A permit dropped while its thread is panicking counts as a failure: a
//! panicking call is not a healthy one. (A permit cannot tell its own call's panic from
//! a sibling future's; [`call`](CircuitBreaker::call) can, and only counts its own: see
//! [`Permit::cancel`].)
//!
//! # Why a generation
//!
//! A permit can outlive the state it was admitted in: a slow call admitted while closed
//! may finish after the breaker has opened, recovered and closed again. Its outcome
//! describes the old service state, so it must not add a failure to the new count or
//! close a breaker that has since reopened. The state word carries a generation that
//! every transition bumps, each permit remembers the generation it was admitted in, and
//! outcomes from an older generation only update the statistics.
//!
//! # Cost
//!
//! The state (phase, generation, failure count or probe counts) is one `AtomicU64`
//! changed only by compare-and-swap, so transitions are never lost. A closed-state call
//! that succeeds reads that word twice (relaxed loads of a cache line nobody writes
//! while things are healthy) and increments one statistics counter, which lives on a
//! separate cache line. No lock, no allocation, no clock read: the clock is read only
//! when the breaker opens and while it is open. There is no `Mutex` anywhere on a call's
//! path; the [`registry`](crate::registry) takes one only the first time a breaker
//! registers and on lookups.
//!
//! Every transition emits an `info` event and every rejection a `debug` event, with
//! target `resilience`.

mod admission;
mod breakers;
mod builder;
mod call;
pub(crate) mod clock;
mod control;
mod error;
mod layer;
mod name;
mod permit;
mod protection;
mod settings;
mod state;
mod stats;
mod transitions;
mod window;

/// The clock of the `cfg(loom)` build: model-checked tests move it by hand.
///
/// Loom explores every interleaving of the breaker's atomics, so everything else a
/// breaker reads must be the same in every execution. Tokio's clock is not, so under
/// `cfg(loom)` "now" is this per-thread counter instead (loom runs all threads of a
/// model on the thread that called `loom::model`, so they share it). It starts at the
/// epoch; call [`reset`](loom_clock::reset) at the start of each model execution.
#[cfg(loom)]
pub mod loom_clock {
    use core::cell::Cell;
    use std::time::Duration;

    std::thread_local! {
        static NOW: Cell<u64> = const { Cell::new(super::clock::BIAS) };
    }

    /// Back to the epoch.
    pub fn reset() {
        NOW.with(|now| now.set(super::clock::BIAS));
    }

    /// Moves the clock forward by `by` (saturating).
    pub fn advance(by: Duration) {
        let by = super::clock::saturating_nanos(by);
        NOW.with(|now| now.set(now.get().saturating_add(by)));
    }

    /// Time since the epoch.
    pub fn elapsed() -> Duration {
        Duration::from_nanos(now_nanos() - super::clock::BIAS)
    }

    pub(super) fn now_nanos() -> u64 {
        NOW.with(Cell::get)
    }
}

use core::fmt;
use std::time::Duration;

/// The breaker's clock, in the nanoseconds its time windows are sliced by: for tests
/// that model a time window exactly. Not public API.
#[doc(hidden)]
pub fn __clock_nanos() -> u64 {
    clock::now_nanos()
}

pub use breakers::{Breakers, Kept, Key, Scope};
pub use builder::CircuitBreakerBuilder;
pub use error::CircuitOpen;
pub use layer::{BreakerRef, CircuitLayer, CircuitStack, FromCircuitOpen, Watched};
pub use permit::Permit;
pub use state::State;
pub use stats::Stats;
pub use window::Window;

use core::mem::ManuallyDrop;

use crate::sync::{AtomicBool, AtomicU64, CachePadded, Ordering};
use name::Name;
use state::Word;
use stats::Counters;
use window::{Recent, Slicing};

/// A circuit breaker: lets calls through while the service they reach looks healthy,
/// rejects them with [`CircuitOpen`] for a recovery period once it does not, then probes.
///
/// It is a plain struct of atomics with a `const` builder, so it can live in a
/// `static` (what `#[circuit]` does, one per function), in a field (one per client
/// instance), or anywhere else; share it by reference. See the
/// [module documentation](self) for the state machine and why it is built this way.
///
/// ```
/// use resilience_core::circuit::{CircuitBreaker, State};
///
/// static BREAKER: CircuitBreaker = match CircuitBreaker::builder().name("x").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
///
/// let permit = BREAKER.try_acquire().expect("a new breaker is closed");
/// permit.success();
/// assert_eq!(BREAKER.state(), State::Closed);
/// assert_eq!(BREAKER.stats().successes, 1);
/// ```
pub struct CircuitBreaker {
    /// Read on every call, written only on transitions: its own cache lines.
    hot: CachePadded<Hot>,
    /// Written by every call that finishes.
    counters: CachePadded<Written>,
}

/// What calls write: the statistics, and the rate modes' window.
struct Written {
    stats: Counters,
    /// Unused in the consecutive mode.
    recent: Recent,
}

struct Hot {
    /// The packed [`Word`]: phase, generation, failure or probe counts.
    word: AtomicU64,
    /// Nanoseconds since the [`clock`] epoch at which the open breaker may let a probe
    /// through. Only ever raised (`fetch_max`), before the transition that publishes it.
    open_until: AtomicU64,
    /// Set once the breaker is in the [`registry`](crate::registry).
    registered: AtomicBool,
    /// When the last transition happened, on the [`clock`] scale; 0 until the first
    /// one. Written only by transitions (never by a call that changes nothing) and read
    /// only by [`status`](crate::registry::Protection::status): a status page's "since".
    /// Not modelled under loom: nothing the state machine decides depends on it.
    #[cfg(not(loom))]
    changed_at: AtomicU64,
    /// One more than the generation of the open period [`CircuitBreaker::open_for`]
    /// started (0: none): tells an advised open period from one the breaker's own
    /// outcomes started. Written only by `open_for`, read only by `opened_by_advice`:
    /// never on a call's path.
    #[cfg(not(loom))]
    advised: crate::sync::AtomicU32,
    /// `config.name`, or a family member's own name. Never dropped by the breaker
    /// (a breaker has nothing to drop, so it can be built in a `const`): a family
    /// releases its members' names (see `release`).
    name: ManuallyDrop<Name>,
    config: Config,
    /// Told of every transition once somebody subscribed ([`CircuitBreaker::subscribe`]):
    /// a leaked `watch::Sender`, null until then.
    #[cfg(not(loom))]
    watch: crate::sync::AtomicPtr<tokio::sync::watch::Sender<State>>,
}

/// Validated settings (see [`CircuitBreakerBuilder`]).
#[derive(Clone, Copy, PartialEq)]
struct Config {
    name: &'static str,
    /// Consecutive failures that open it; 0 when only rates do.
    threshold: u32,
    recovery: Duration,
    recovery_max: Duration,
    success_threshold: u32,
    probes: u32,
    /// Rates in millionths; 0 when not set.
    failure_ppm: u32,
    slow_ppm: u32,
    slow_call: Option<Duration>,
    /// `slow_call` in nanoseconds (0 when not set).
    slow_nanos: u64,
    min_calls: u32,
    /// Set when a rate is.
    window: Option<Window>,
    /// `window`'s slices.
    slicing: Slicing,
    /// Consecutive mode, no clock: the fast paths.
    plain: bool,
}

impl Config {
    /// The open period after `reopens` re-openings from half-open: `recovery` doubled
    /// that many times, at most `recovery_max`.
    fn open_nanos(&self, reopens: u32) -> u64 {
        let base = clock::saturating_nanos(self.recovery);
        let max = clock::saturating_nanos(self.recovery_max);
        if reopens == 0 {
            return base;
        }
        let grown = if reopens >= 64 {
            u64::MAX
        } else {
            base.checked_shl(reopens)
                .filter(|g| g >> reopens == base)
                .unwrap_or(u64::MAX)
        };
        grown.min(max).max(base)
    }
}

impl CircuitBreaker {
    /// Starts configuring a breaker; the defaults are listed on [`CircuitBreakerBuilder`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder()
    ///     .name("gpt4")
    ///     .threshold(3)
    ///     .recovery(Duration::from_secs(30))
    ///     .success_threshold(2)
    ///     .build()?;
    /// assert_eq!(breaker.name(), "gpt4");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::new()
    }

    #[cfg(not(loom))]
    const fn from_config(config: Config) -> Self {
        Self {
            hot: CachePadded(Hot {
                word: AtomicU64::new(Word::INITIAL.bits()),
                open_until: AtomicU64::new(0),
                registered: AtomicBool::new(false),
                changed_at: AtomicU64::new(0),
                advised: crate::sync::AtomicU32::new(0),
                name: ManuallyDrop::new(Name::Static(config.name)),
                config,
                watch: crate::sync::AtomicPtr::new(core::ptr::null_mut()),
            }),
            counters: CachePadded(Written {
                stats: Counters::new(),
                recent: Recent::new(),
            }),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new` (see `crate::sync`).
    #[cfg(loom)]
    fn from_config(config: Config) -> Self {
        Self {
            hot: CachePadded(Hot {
                word: AtomicU64::new(Word::INITIAL.bits()),
                open_until: AtomicU64::new(0),
                registered: AtomicBool::new(false),
                name: ManuallyDrop::new(Name::Static(config.name)),
                config,
            }),
            counters: CachePadded(Written {
                stats: Counters::new(),
                recent: Recent::new(),
            }),
        }
    }

    /// A breaker with these settings under another name: a member of a family.
    ///
    /// The caller owns what the breaker holds beyond plain values: it must call
    /// [`release`](Self::release) before dropping it.
    ///
    /// `reported` is the name its [`CircuitOpen`] errors carry, which must be `'static`
    /// (the error is `Copy`): the member's own name when the family keeps it for good (a
    /// `Self` type's), else the family's.
    pub(crate) fn renamed(
        template: &Self,
        name: std::sync::Arc<str>,
        reported: &'static str,
    ) -> Self {
        let mut config = template.hot.0.config;
        config.name = reported;
        let mut breaker = Self::from_config(config);
        breaker.hot.0.name = ManuallyDrop::new(Name::Shared(name));
        breaker
    }

    /// The name its [`CircuitOpen`] errors carry (see [`renamed`](Self::renamed)).
    pub(crate) const fn reported_name(&self) -> &'static str {
        self.hot.0.config.name
    }

    /// Frees what a breaker made by [`renamed`](Self::renamed) holds: its name and its
    /// transition channel.
    ///
    /// # Safety
    ///
    /// Only once, right before the breaker is dropped.
    pub(crate) unsafe fn release(&mut self) {
        // SAFETY: the caller's contract: never used again.
        unsafe { ManuallyDrop::drop(&mut self.hot.0.name) };
        #[cfg(not(loom))]
        {
            let watch = self.hot.0.watch.load(Ordering::Acquire);
            if !watch.is_null() {
                // SAFETY: made by `subscribe` with `Box::into_raw`, and ours alone now.
                drop(unsafe { Box::from_raw(watch) });
            }
        }
    }

    /// The current state.
    ///
    /// This only reads; it never moves the breaker. An open breaker whose recovery
    /// period has elapsed still reports [`State::Open`] until the next
    /// [`try_acquire`](Self::try_acquire) moves it to [`State::HalfOpen`].
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, State};
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// assert_eq!(breaker.state(), State::Closed);
    /// breaker.try_acquire().unwrap().failure();
    /// assert_eq!(breaker.state(), State::Open);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline]
    pub fn state(&self) -> State {
        self.load().state()
    }

    /// The call counters since the breaker was created (see [`Stats`]).
    ///
    /// ```
    /// use resilience_core::circuit::{CircuitBreaker, Stats};
    ///
    /// let breaker = CircuitBreaker::builder().build()?;
    /// breaker.try_acquire().unwrap().success();
    /// assert_eq!(breaker.stats(), Stats { calls: 1, successes: 1, ..Stats::default() });
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.counters.0.stats.snapshot()
    }

    /// Registers this breaker in the [`registry`](crate::registry) under its name, the
    /// first time only, and returns it.
    ///
    /// After the first call this is one atomic load, so the attribute macros call it on
    /// every call of a function. See [`registry::register`](crate::registry::register)
    /// for what happens when two breakers share a name.
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitBreaker, registry};
    ///
    /// static SEARCH: CircuitBreaker = match CircuitBreaker::builder().name("search").build() {
    ///     Ok(breaker) => breaker,
    ///     Err(_) => panic!(),
    /// };
    ///
    /// SEARCH.register().try_acquire().unwrap().success();
    /// let found = registry::circuit("search").expect("registered");
    /// assert!(std::ptr::eq(found, &SEARCH));
    /// ```
    #[inline(always)]
    pub fn register(&'static self) -> &'static Self {
        // Acquire pairs with the release store made under the registry lock, so a
        // thread that sees `true` also finds the breaker in the registry.
        if !self.hot.0.registered.load(Ordering::Acquire) {
            self.register_slow();
        }
        self
    }

    /// The first registration, out of the call's path.
    #[cold]
    #[inline(never)]
    fn register_slow(&'static self) {
        crate::registry::register(self);
    }

    #[inline]
    fn load(&self) -> Word {
        Word::from_bits(self.hot.0.word.load(Ordering::Relaxed))
    }

    /// One compare-and-swap of the state word; on failure, the word found instead.
    fn cas(&self, current: Word, new: Word) -> Result<(), Word> {
        self.hot
            .0
            .word
            .compare_exchange_weak(
                current.bits(),
                new.bits(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .map(drop)
            .map_err(Word::from_bits)
    }

    fn transitioned(&self, from: State, to: State, reason: Reason) {
        tracing::info!(
            target: "resilience",
            name = self.name(),
            from = %from,
            to = %to,
            reason = reason.as_str(),
            "circuit breaker state changed"
        );
        #[cfg(feature = "metrics")]
        crate::metrics::circuit(self.name(), to);
        #[cfg(not(loom))]
        {
            self.hot
                .0
                .changed_at
                .store(clock::now_nanos(), Ordering::Relaxed);
            self.notify();
        }
    }

    /// The rate modes' window.
    #[inline]
    fn recent(&self) -> &Recent {
        &self.counters.0.recent
    }
}

/// Why a breaker changed state, in its `info` event (`reason = ..`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `threshold` failures in a row.
    Consecutive,
    /// The failure rate of the window.
    FailureRate,
    /// The slow-call rate of the window.
    SlowRate,
    /// A half-open probe failed.
    ProbeFailed,
    /// A half-open probe succeeded, but slowly.
    ProbeSlow,
    /// The open period elapsed: the next call probes.
    RecoveryElapsed,
    /// Enough probes succeeded.
    Recovered,
    /// [`CircuitBreaker::isolate`].
    Isolated,
    /// [`CircuitBreaker::reset`].
    Reset,
    /// [`CircuitBreaker::open_for`]: another replica's open period, as advice.
    Advisory,
}

impl Reason {
    const fn as_str(self) -> &'static str {
        match self {
            Reason::Consecutive => "consecutive_failures",
            Reason::FailureRate => "failure_rate",
            Reason::SlowRate => "slow_rate",
            Reason::ProbeFailed => "probe_failed",
            Reason::ProbeSlow => "probe_slow",
            Reason::RecoveryElapsed => "recovery_elapsed",
            Reason::Recovered => "recovered",
            Reason::Isolated => "isolated",
            Reason::Reset => "reset",
            Reason::Advisory => "advisory",
        }
    }
}

fn ppm_rate(ppm: u32) -> Option<f64> {
    (ppm != 0).then(|| f64::from(ppm) / 1_000_000.0)
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.hot.0.config;
        f.debug_struct("CircuitBreaker")
            .field("name", &*self.hot.0.name)
            .field("state", &self.load())
            .field("threshold", &config.threshold)
            .field("failure_rate", &self.failure_rate())
            .field("slow_rate", &self.slow_rate())
            .field("slow_call", &config.slow_call)
            .field("window", &config.window)
            .field("recovery", &config.recovery)
            .field("recovery_max", &config.recovery_max)
            .field("success_threshold", &config.success_threshold)
            .field("probes", &config.probes)
            .field("stats", &self.stats())
            .finish()
    }
}
