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

mod builder;
mod call;
pub(crate) mod clock;
mod error;
mod layer;
mod permit;
mod protection;
mod state;
mod stats;
mod sync;

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

pub use builder::CircuitBreakerBuilder;
pub use error::CircuitOpen;
pub use layer::{CircuitLayer, CircuitStack, FromCircuitOpen, Watched};
pub use permit::Permit;
pub use state::State;
pub use stats::Stats;

use state::Word;
use stats::Counters;
use sync::{AtomicBool, AtomicU64, CachePadded, Ordering, fence};

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
    counters: CachePadded<Counters>,
}

struct Hot {
    /// The packed [`Word`]: phase, generation, failure or probe counts.
    word: AtomicU64,
    /// Nanoseconds since the [`clock`] epoch at which the open breaker may let a probe
    /// through. Only ever raised (`fetch_max`), before the transition that publishes it.
    open_until: AtomicU64,
    /// Set once the breaker is in the [`registry`](crate::registry).
    registered: AtomicBool,
    config: Config,
}

/// Validated settings (see [`CircuitBreakerBuilder`]).
#[derive(Clone, Copy)]
struct Config {
    name: &'static str,
    threshold: u32,
    recovery: Duration,
    success_threshold: u32,
    probes: u32,
}

impl Config {
    const fn recovery_nanos(&self) -> u64 {
        clock::saturating_nanos(self.recovery)
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
                config,
            }),
            counters: CachePadded(Counters::new()),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new` (see [`sync`]).
    #[cfg(loom)]
    fn from_config(config: Config) -> Self {
        Self {
            hot: CachePadded(Hot {
                word: AtomicU64::new(Word::INITIAL.bits()),
                open_until: AtomicU64::new(0),
                registered: AtomicBool::new(false),
                config,
            }),
            counters: CachePadded(Counters::new()),
        }
    }

    /// The breaker's name, as given to [`CircuitBreakerBuilder::name`].
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.name(), "circuit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(&self) -> &'static str {
        self.hot.0.config.name
    }

    /// Consecutive counted failures that open the breaker.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.threshold(), 3);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn threshold(&self) -> u32 {
        self.hot.0.config.threshold
    }

    /// How long the breaker stays open before it lets a probe through.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.recovery(), Duration::from_secs(30));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn recovery(&self) -> Duration {
        self.hot.0.config.recovery
    }

    /// Successful probes that close a half-open breaker.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().build()?.success_threshold(), 2);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn success_threshold(&self) -> u32 {
        self.hot.0.config.success_threshold
    }

    /// Most probes in flight at once while half-open.
    ///
    /// ```
    /// # use resilience_core::circuit::CircuitBreaker;
    /// assert_eq!(CircuitBreaker::builder().success_threshold(4).build()?.probes(), 4);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn probes(&self) -> u32 {
        self.hot.0.config.probes
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
        self.counters.0.snapshot()
    }

    /// Asks to make one call.
    ///
    /// - Closed: always admitted.
    /// - Open: if the recovery period has elapsed, the breaker moves to half-open and
    ///   this call is admitted as its first probe; otherwise it is rejected with a
    ///   [`CircuitOpen`] saying how long is left.
    /// - Half-open: admitted as a probe while fewer than [`probes`](Self::probes) are
    ///   in flight; otherwise rejected with a [`CircuitOpen`] whose `retry_in` is zero.
    ///
    /// Rejections count in [`Stats::rejected`]. An admitted call reports its outcome by
    /// consuming the [`Permit`].
    ///
    /// # Errors
    ///
    /// [`CircuitOpen`] when the call is refused, as above.
    ///
    /// ```
    /// use resilience_core::circuit::CircuitBreaker;
    ///
    /// let breaker = CircuitBreaker::builder().threshold(1).build()?;
    /// match breaker.try_acquire() {
    ///     Ok(permit) => permit.failure(), // the call failed
    ///     Err(open) => unreachable!("{open}"),
    /// }
    /// let err = breaker.try_acquire().unwrap_err();
    /// assert!(err.retry_in() <= breaker.recovery()); // the rest of the 30s
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        let word = self.load();
        if word.state() == State::Closed {
            return Ok(Permit::new(self, word.generation(), false));
        }
        self.acquire_slow(word)
    }

    /// Admission when the breaker was not closed at the first look.
    #[inline(never)]
    fn acquire_slow(&self, mut word: Word) -> Result<Permit<'_>, CircuitOpen> {
        let config = &self.hot.0.config;
        let mut now = None;
        loop {
            let next = match word.state() {
                State::Closed => return Ok(Permit::new(self, word.generation(), false)),
                State::Open => {
                    // Pairs with the release CAS that opened the breaker, after its
                    // `open_until.fetch_max`: we see that deadline or a later one.
                    fence(Ordering::Acquire);
                    let until = self.hot.0.open_until.load(Ordering::Relaxed);
                    let now = *now.get_or_insert_with(clock::now_nanos);
                    if now < until {
                        let retry_in = Duration::from_nanos(until - now);
                        return Err(self.reject(CircuitOpen::new(config.name, retry_in)));
                    }
                    Word::half_open(word.next_generation(), 1, 0)
                }
                State::HalfOpen => {
                    if word.in_flight() >= config.probes {
                        return Err(self.reject(CircuitOpen::probe_limit(config.name)));
                    }
                    Word::half_open(word.generation(), word.in_flight() + 1, word.successes())
                }
            };
            match self.cas(word, next) {
                Ok(()) => {
                    if word.state() != next.state() {
                        self.transitioned(word.state(), next.state());
                    }
                    return Ok(Permit::new(self, next.generation(), true));
                }
                Err(actual) => word = actual,
            }
        }
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

    fn reject(&self, err: CircuitOpen) -> CircuitOpen {
        self.counters.0.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            target: "resilience",
            name = err.name(),
            state = %err.state(),
            retry_in = ?err.retry_in(),
            "circuit breaker rejected a call"
        );
        err
    }

    fn transitioned(&self, from: State, to: State) {
        tracing::info!(
            target: "resilience",
            name = self.name(),
            from = %from,
            to = %to,
            "circuit breaker state changed"
        );
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.hot.0.config;
        f.debug_struct("CircuitBreaker")
            .field("name", &config.name)
            .field("state", &self.load())
            .field("threshold", &config.threshold)
            .field("recovery", &config.recovery)
            .field("success_threshold", &config.success_threshold)
            .field("probes", &config.probes)
            .field("stats", &self.stats())
            .finish()
    }
}
