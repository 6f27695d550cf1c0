//! The seam where a store shared between processes plugs in: one [`LimitStore`] per
//! process, set once at start-up, that registered limiters consult after their own
//! buckets admit a call.
//!
//! A limiter's own buckets still count everything (they are the whole limit in a single
//! process); the store adds the fleet's view on top. It answers synchronously from what
//! it holds in the process (a lease of the fleet's quota, or a local share when it cannot
//! reach its backend), so an admission never waits on the network: when it has nothing
//! to give it says how long to come back in, fetches more in the background, and wakes
//! the waiting calls with [`RateLimiter::capacity_changed`] once it has it. The
//! `resilience-redis` crate is such a store.
//!
//! Only limiters that are [registered](RateLimiter::register) under their name (every
//! `#[rate_limit]` is) consult the store: a limiter built by hand and used on its own
//! stays local.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use resilience_core::rate_limit::{shared, Limit, RateLimiter};
//!
//! /// A fleet with room for one call of "docs::shared" in all.
//! struct OneCall(std::sync::atomic::AtomicU64);
//! impl shared::SharedLimit for OneCall {
//!     fn take(&self, _tokens: u64) -> Result<(), shared::NotNow> {
//!         match self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
//!             0 => Ok(()),
//!             _ => Err(shared::NotNow { wait: Duration::from_secs(1), limit: Limit::Requests }),
//!         }
//!     }
//! }
//! struct Store;
//! impl shared::LimitStore for Store {
//!     fn attach(&self, limiter: &'static RateLimiter) -> Option<Arc<dyn shared::SharedLimit>> {
//!         (limiter.name() == "docs::shared").then(|| Arc::new(OneCall(Default::default())) as _)
//!     }
//! }
//!
//! shared::install(Box::new(Store)).unwrap();
//! static LIMITER: RateLimiter = RateLimiter::new(resilience_core::ConfigError::unwrap_const(
//!     RateLimiter::builder().name("docs::shared").requests(100).settings(),
//! ));
//! let limiter = LIMITER.register();
//! assert!(limiter.try_acquire(0).is_ok());
//! assert!(limiter.try_acquire(0).is_err()); // the store said no
//! assert_eq!(limiter.left().requests, Some(99)); // and the local request was given back
//! ```

use core::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{Limit, RateLimiter};

/// A process-wide store of rate limits shared with other processes: it gives each
/// registered limiter its [`SharedLimit`] (or none, to leave it local).
///
/// ```
/// use std::sync::Arc;
/// use resilience_core::rate_limit::{shared::{LimitStore, SharedLimit}, RateLimiter};
///
/// struct Nothing;
/// impl LimitStore for Nothing {
///     fn attach(&self, _: &'static RateLimiter) -> Option<Arc<dyn SharedLimit>> { None }
/// }
/// assert!(Nothing.attach(Box::leak(Box::new(RateLimiter::builder().requests(1).build().unwrap()))).is_none());
/// ```
pub trait LimitStore: Send + Sync + 'static {
    /// The shared state of `limiter`, asked once per limiter on its first admission
    /// after the store is installed; `None` keeps the limiter local.
    fn attach(&self, limiter: &'static RateLimiter) -> Option<Arc<dyn SharedLimit>>;

    /// The shared state of the member for `key` of a registered keyed family
    /// (`#[rate_limit(key = ..)]`), asked when the member is made. The member may be
    /// evicted later, so it is not `'static`: the store keeps what it needs of its
    /// settings, and cannot wake its calls (they look again when told to). The default
    /// keeps members local.
    fn attach_key(&self, limiter: &RateLimiter, key: &str) -> Option<Arc<dyn SharedLimit>> {
        let _ = (limiter, key);
        None
    }
}

/// One limiter's share of the fleet's state, consulted on every admission its own
/// buckets allowed. Must answer at once (no I/O on the caller's thread).
///
/// ```
/// use resilience_core::rate_limit::shared::{NotNow, SharedLimit};
///
/// struct Always;
/// impl SharedLimit for Always {
///     fn take(&self, _: u64) -> Result<(), NotNow> { Ok(()) }
/// }
/// assert!(Always.take(5).is_ok());
/// Always.reconcile(5, 3); // the default does nothing
/// ```
pub trait SharedLimit: Send + Sync {
    /// Takes one request and `tokens` tokens from the fleet's quota, or says when to
    /// come back. Called with the limiter's wait list possibly locked: it must not call
    /// [`RateLimiter::capacity_changed`] itself.
    ///
    /// # Errors
    ///
    /// [`NotNow`]: no capacity here now; the limiter gives its own back and the call
    /// waits (or is refused) as for its own limits.
    fn take(&self, tokens: u64) -> Result<(), NotNow>;

    /// A call that took `estimated` tokens used `used`: correct the fleet's count.
    fn reconcile(&self, estimated: u64, used: u64) {
        let _ = (estimated, used);
    }
}

/// A [`SharedLimit`]'s "not now": how long until it expects to have room, and which
/// limit is short.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::rate_limit::{shared::NotNow, Limit};
///
/// let not_now = NotNow { wait: Duration::from_millis(20), limit: Limit::Tokens };
/// assert_eq!(not_now.limit, Limit::Tokens);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotNow {
    /// When to come back (a waiting call is also woken earlier by
    /// [`RateLimiter::capacity_changed`]).
    pub wait: Duration,
    /// The limit that is short.
    pub limit: Limit,
}

/// [`install`] was called before: the store is set once per process.
///
/// ```
/// let e = resilience_core::rate_limit::shared::AlreadyInstalled;
/// assert_eq!(e.to_string(), "a shared rate-limit store is installed already");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyInstalled;

impl fmt::Display for AlreadyInstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a shared rate-limit store is installed already")
    }
}

impl std::error::Error for AlreadyInstalled {}

static STORE: OnceLock<Box<dyn LimitStore>> = OnceLock::new();

/// Sets the process's store, once, at start-up: registered limiters consult it from
/// their next admission on.
///
/// # Errors
///
/// [`AlreadyInstalled`] when a store is set already (it stays).
///
/// ```
/// # use std::sync::Arc;
/// # use resilience_core::rate_limit::{shared, RateLimiter};
/// struct Local;
/// impl shared::LimitStore for Local {
///     fn attach(&self, _: &'static RateLimiter) -> Option<Arc<dyn shared::SharedLimit>> { None }
/// }
/// assert!(shared::install(Box::new(Local)).is_ok());
/// assert_eq!(shared::install(Box::new(Local)), Err(shared::AlreadyInstalled));
/// assert!(shared::installed());
/// ```
pub fn install(store: Box<dyn LimitStore>) -> Result<(), AlreadyInstalled> {
    let mut store = Some(store);
    STORE.get_or_init(|| store.take().expect("taken once"));
    match store {
        None => Ok(()),
        Some(_) => Err(AlreadyInstalled),
    }
}

/// Whether a store is installed.
///
/// ```
/// // Nothing installs one in this doctest's process.
/// assert!(!resilience_core::rate_limit::shared::installed());
/// ```
pub fn installed() -> bool {
    STORE.get().is_some()
}

impl RateLimiter {
    /// This limiter's shared state, when a store is installed and this is the limiter
    /// its name stands for. One load when no store is installed.
    #[inline(always)]
    pub(crate) fn shared_limit(&self) -> Option<&dyn SharedLimit> {
        let store = STORE.get()?;
        match self.attached.get() {
            Some(attached) => attached.as_deref(),
            None => self.attach(store.as_ref()),
        }
    }

    #[cold]
    #[inline(never)]
    fn attach(&self, store: &dyn LimitStore) -> Option<&dyn SharedLimit> {
        let attached = match self.shared.get() {
            // Not registered (yet): stay local, and look again next time.
            None => return None,
            Some(registered) if core::ptr::eq(*registered, self) => {
                self.attached.get_or_init(|| store.attach(registered))
            }
            // A duplicate of a registered limiter: its calls go to the other one.
            Some(_) => self.attached.get_or_init(|| None),
        };
        attached.as_deref()
    }

    /// Makes this limiter consult the installed store under its name, as a registered
    /// one does, without being registered by name: a named policy's limiters (the
    /// registry lists their site, which answers the one in use), each remade by a
    /// reload under the same name and shared under it.
    #[cfg(feature = "config")]
    pub(crate) fn share_unlisted(&'static self) -> &'static Self {
        let _ = self.shared.set(self);
        self
    }

    /// Attaches a keyed family's new member for `key`, when a store is installed.
    pub(crate) fn attach_member(&self, key: &str) {
        if let Some(store) = STORE.get() {
            let _ = self.attached.set(store.attach_key(self, key));
        }
    }

    /// Wakes the call waiting at the front of the queue: capacity came back from
    /// somewhere the limiter cannot see (a [`SharedLimit`] got a lease). Never call it
    /// from [`SharedLimit::take`].
    ///
    /// ```
    /// # use resilience_core::rate_limit::RateLimiter;
    /// let limiter = RateLimiter::builder().requests(1).build()?;
    /// limiter.capacity_changed(); // nobody waits: nothing happens
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn capacity_changed(&self) {
        self.waitlist.wake_front();
    }
}
