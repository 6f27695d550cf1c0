//! A bulkhead: at most `max` calls at once, a bounded queue for the rest.
//!
//! A service that slows down makes its callers pile up: every request in flight holds a
//! connection, memory, a task. A [`Bulkhead`] caps how many calls run at once, so one slow
//! dependency cannot take everything with it, and decides what the others do: wait in a
//! queue of at most `queue` calls for at most `max_wait`, or be refused at once with
//! [`BulkheadFull`].
//!
//! ```
//! use resilience_core::bulkhead::Bulkhead;
//!
//! let bulkhead = Bulkhead::builder().name("search").max(2).build()?;
//! let first = bulkhead.try_acquire()?;
//! let second = bulkhead.try_acquire()?;
//! assert_eq!(bulkhead.try_acquire().unwrap_err().name(), "search");
//! drop(first); // the call ended: its permit is free again
//! assert!(bulkhead.try_acquire().is_ok());
//! # drop(second);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Permits
//!
//! An admitted call holds a [`Permit`]; dropping it frees the slot, whether the call
//! finished, was cancelled (its future dropped) or panicked, so a bulkhead never leaks a
//! slot. Waiting calls are served in arrival order: a freed permit goes to the call at
//! the front of the queue, and a newcomer queues behind the waiting ones instead of
//! taking it. A waiting call holds nothing but its place: dropping it leaves the queue.
//!
//! # Cost
//!
//! A call that finds a free permit and nobody waiting takes it with one compare-and-swap
//! and frees it with one atomic add: no lock, no allocation. The free permits and the
//! count of waiting calls share one atomic word, so a newcomer never takes a permit a
//! waiting call was woken for, and a release always learns whether to wake someone. The
//! queue's lock is taken only by calls that wait and by releases while someone waits. Refusals and admissions after
//! a wait emit `debug` events with target `resilience`.

mod builder;
mod error;
mod layer;
mod permit;
mod protection;
mod state;
mod waiting;

use core::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

pub use builder::BulkheadBuilder;
pub use error::BulkheadFull;
pub use layer::{BulkheadLayer, BulkheadStack, FromBulkheadFull};
pub use permit::Permit;
pub use waiting::Acquire;

use state::Permits;

use crate::waitlist::Waitlist;

/// At most `max` calls at once, up to `queue` more waiting for a permit.
///
/// A plain struct of atomics (and a wait list) with a `const` builder, so it can live in a
/// `static` (what `#[bulkhead]` does), in a field, or anywhere else; share it by
/// reference. See the [module documentation](self).
///
/// ```
/// use resilience_core::bulkhead::Bulkhead;
///
/// static DB: Bulkhead = Bulkhead::new(resilience_core::ConfigError::unwrap_const(
///     Bulkhead::builder().name("db").max(4).settings(),
/// ));
///
/// let permit = DB.try_acquire().expect("nothing runs yet");
/// assert_eq!(DB.in_use(), 1);
/// drop(permit);
/// assert_eq!(DB.in_use(), 0);
/// ```
pub struct Bulkhead {
    config: Settings,
    /// Permits free and calls waiting, in one word.
    permits: Permits,
    /// The waiting calls, in arrival order.
    waitlist: Waitlist,
    /// Calls admitted after waiting.
    waited: AtomicU64,
    /// Calls refused.
    rejected: AtomicU64,
    /// The bulkhead this one's name stands for, once registered.
    shared: OnceLock<&'static Bulkhead>,
}

/// A bulkhead's settings, checked: what [`BulkheadBuilder::settings`] returns and
/// [`Bulkhead::new`] takes. `Copy`, so it unwraps in a `const` with
/// [`ConfigError::unwrap_const`](crate::ConfigError::unwrap_const).
///
/// ```
/// use resilience_core::bulkhead::{Bulkhead, Settings};
///
/// let settings: Settings = Bulkhead::builder().max(3).settings()?;
/// assert_eq!(Bulkhead::new(settings).max(), 3);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    name: &'static str,
    max: u32,
    queue: u32,
    max_wait: Option<Duration>,
}

impl Bulkhead {
    /// Starts configuring a bulkhead; the defaults are listed on [`BulkheadBuilder`].
    ///
    /// ```
    /// use resilience_core::bulkhead::Bulkhead;
    ///
    /// let bulkhead = Bulkhead::builder().max(5).queue(20).build()?;
    /// assert_eq!((bulkhead.max(), bulkhead.queue()), (5, 20));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> BulkheadBuilder {
        BulkheadBuilder::new()
    }

    /// A bulkhead with checked `settings`: the way to build one in a `static` (a bad
    /// setting stops compilation there).
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, ConfigError};
    ///
    /// static DB: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(
    ///     Bulkhead::builder().name("db").max(4).settings(),
    /// ));
    /// assert_eq!(DB.max(), 4);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(config: Settings) -> Self {
        Bulkhead {
            permits: Permits::new(config.max),
            config,
            waitlist: Waitlist::new(),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            shared: OnceLock::new(),
        }
    }

    /// The same, for loom's atomics, which have no `const fn new`.
    #[cfg(loom)]
    pub fn new(config: Settings) -> Self {
        Bulkhead {
            permits: Permits::new(config.max),
            config,
            waitlist: Waitlist::new(),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            shared: OnceLock::new(),
        }
    }

    /// The bulkhead's name, as given to [`BulkheadBuilder::name`].
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().build()?.name(), "bulkhead");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(&self) -> &'static str {
        self.config.name
    }

    /// Most calls at once.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().build()?.max(), 10);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max(&self) -> u32 {
        self.config.max
    }

    /// Most calls waiting for a permit.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().build()?.queue(), 0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn queue(&self) -> u32 {
        self.config.queue
    }

    /// The longest a call waits in the queue; `None`: as long as it takes.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().build()?.max_wait(), None);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max_wait(&self) -> Option<Duration> {
        self.config.max_wait
    }

    /// How many permits are held now.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// let bulkhead = Bulkhead::builder().build()?;
    /// let _permit = bulkhead.try_acquire()?;
    /// assert_eq!(bulkhead.in_use(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn in_use(&self) -> u32 {
        self.config.max - self.permits.free()
    }

    /// How many calls wait for a permit now.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().build()?.queued(), 0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn queued(&self) -> usize {
        self.permits.waiting() as usize
    }

    /// The counters since the bulkhead was created (see [`Stats`]).
    ///
    /// ```
    /// # use resilience_core::bulkhead::{Bulkhead, Stats};
    /// let bulkhead = Bulkhead::builder().max(1).build()?;
    /// let _permit = bulkhead.try_acquire()?;
    /// let _ = bulkhead.try_acquire();
    /// assert_eq!(bulkhead.stats(), Stats { waited: 0, rejected: 1 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> Stats {
        Stats {
            waited: self.waited.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
        }
    }

    /// Takes a permit if one is free and nobody waits for one; never waits.
    ///
    /// # Errors
    ///
    /// [`BulkheadFull`] when every permit is held or calls are already waiting.
    ///
    /// ```
    /// use resilience_core::bulkhead::Bulkhead;
    ///
    /// let bulkhead = Bulkhead::builder().max(1).build()?;
    /// let permit = bulkhead.try_acquire()?;
    /// assert!(bulkhead.try_acquire().is_err());
    /// drop(permit);
    /// assert!(bulkhead.try_acquire().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, BulkheadFull> {
        if self.permits.try_take() {
            return Ok(Permit::new(self));
        }
        Err(self.full(Duration::ZERO))
    }

    /// Frees a permit and wakes the call at the front of the queue, if any.
    #[inline]
    fn release(&self) {
        if self.permits.give_back() {
            self.wake_front();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake_front(&self) {
        self.waitlist.wake_front();
    }

    /// Counts and reports a refusal after waiting `waited`.
    #[cold]
    #[inline(never)]
    fn full(&self, waited: Duration) -> BulkheadFull {
        self.rejected.fetch_add(1, Relaxed);
        let full = BulkheadFull::new(self.config.name, self.config.max, waited);
        #[cfg(feature = "metrics")]
        crate::metrics::event("bulkhead", "bulkhead_rejected", self.config.name);
        tracing::debug!(
            target: "resilience",
            name = self.config.name,
            max = self.config.max,
            waited = ?waited,
            "bulkhead rejected a call"
        );
        full
    }

    /// Registers this bulkhead in the [`registry`](crate::registry) under its name, the
    /// first time only, and returns the bulkhead that name stands for.
    ///
    /// Bulkheads given the same name share one: the first to register is the one every
    /// later one with that name returns (a later one with other settings gets a `warn`
    /// event). After the first call this is one atomic load.
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, registry, ConfigError};
    ///
    /// static POOL: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(
    ///     Bulkhead::builder().name("docs::pool").max(3).settings(),
    /// ));
    ///
    /// let permit = POOL.register().try_acquire().unwrap();
    /// assert_eq!(registry::bulkhead("docs::pool").unwrap().in_use(), 1);
    /// # drop(permit);
    /// ```
    #[inline]
    pub fn register(&'static self) -> &'static Self {
        match self.shared.get() {
            Some(shared) => shared,
            None => self.register_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn register_slow(&'static self) -> &'static Self {
        self.shared
            .get_or_init(|| crate::registry::adopt(self, |a, b| a.config == b.config))
    }
}

/// A [`Bulkhead`]'s counters.
///
/// ```
/// let stats = resilience_core::bulkhead::Stats::default();
/// assert_eq!(stats.waited, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Calls admitted after waiting in the queue.
    pub waited: u64,
    /// Calls refused ([`BulkheadFull`]).
    pub rejected: u64,
}

impl fmt::Debug for Bulkhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulkhead")
            .field("name", &self.config.name)
            .field("max", &self.config.max)
            .field("queue", &self.config.queue)
            .field("max_wait", &self.config.max_wait)
            .field("in_use", &self.in_use())
            .field("queued", &self.queued())
            .field("stats", &self.stats())
            .finish()
    }
}
