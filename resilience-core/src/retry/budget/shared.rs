//! The seam where a store shared between processes plugs into retry budgets: one
//! [`BudgetStore`] per process, set once at start-up, that registered budgets consult
//! before a withdrawal (a retry, a hedge).
//!
//! Deposits (first attempts) stay one atomic add: the store reads each budget's own
//! window ([`RetryBudget::stats`]) when it publishes it to the fleet, so only the rare
//! withdrawal pays for the fleet's view, and that view is whatever the store last
//! learned (it must answer at once: no I/O on the caller's thread).
//!
//! ```
//! use std::sync::Arc;
//! use resilience_core::retry::{budget::shared, Price, RetryBudget};
//!
//! /// A fleet that has spent everything.
//! struct Spent;
//! impl shared::SharedBudget for Spent {
//!     fn allows(&self, _cost: f64) -> bool { false }
//! }
//! struct Store;
//! impl shared::BudgetStore for Store {
//!     fn attach(&self, _: &'static RetryBudget) -> Option<Arc<dyn shared::SharedBudget>> {
//!         Some(Arc::new(Spent))
//!     }
//! }
//! shared::install(Box::new(Store)).unwrap();
//!
//! static BUDGET: RetryBudget = match RetryBudget::builder().name("docs::fleet").build() {
//!     Ok(budget) => budget,
//!     Err(_) => panic!(),
//! };
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! assert!(!BUDGET.register().try_withdraw(Price::Retry)); // the fleet said no
//! assert_eq!(BUDGET.stats().retries, 0.0); // and nothing was taken
//! # });
//! ```

use core::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use super::RetryBudget;

/// A process-wide store of retry budgets shared with other processes.
///
/// ```
/// use std::sync::Arc;
/// use resilience_core::retry::{budget::shared::{BudgetStore, SharedBudget}, RetryBudget};
///
/// struct Nothing;
/// impl BudgetStore for Nothing {
///     fn attach(&self, _: &'static RetryBudget) -> Option<Arc<dyn SharedBudget>> { None }
/// }
/// # let _ = Nothing;
/// ```
pub trait BudgetStore: Send + Sync + 'static {
    /// The shared state of `budget`, asked once per registered budget on its first
    /// withdrawal after the store is installed; `None` keeps it local.
    fn attach(&self, budget: &'static RetryBudget) -> Option<Arc<dyn SharedBudget>>;
}

/// One budget's view of the fleet.
///
/// ```
/// use resilience_core::retry::budget::shared::SharedBudget;
///
/// struct Open;
/// impl SharedBudget for Open { fn allows(&self, _: f64) -> bool { true } }
/// assert!(Open.allows(1.0));
/// ```
pub trait SharedBudget: Send + Sync {
    /// Whether the fleet's budget holds one more withdrawal of `cost` retries (1 for a
    /// retry or a hedge, the budget's `throttled_cost` for a throttled retry). Asked
    /// before the budget's own window; must answer at once.
    fn allows(&self, cost: f64) -> bool;
}

/// [`install`] was called before.
///
/// ```
/// let e = resilience_core::retry::budget::shared::AlreadyInstalled;
/// assert_eq!(e.to_string(), "a shared retry-budget store is installed already");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyInstalled;

impl fmt::Display for AlreadyInstalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a shared retry-budget store is installed already")
    }
}

impl std::error::Error for AlreadyInstalled {}

static STORE: OnceLock<Box<dyn BudgetStore>> = OnceLock::new();

/// The budgets' shared states, by the slot number each budget keeps (`slot - 1`). Kept
/// here rather than in the budget so that a `RetryBudget` has no destructor and still
/// builds in a `const` (`match RetryBudget::builder().build() { .. }`). Read only on a
/// withdrawal with a store installed: a read lock nobody else holds.
static ATTACHED: RwLock<Vec<Option<Arc<dyn SharedBudget>>>> = RwLock::new(Vec::new());

/// Sets the process's budget store, once, at start-up.
///
/// # Errors
///
/// [`AlreadyInstalled`] when one is set already (it stays).
///
/// ```
/// # use std::sync::Arc;
/// # use resilience_core::retry::{budget::shared, RetryBudget};
/// struct Local;
/// impl shared::BudgetStore for Local {
///     fn attach(&self, _: &'static RetryBudget) -> Option<Arc<dyn shared::SharedBudget>> { None }
/// }
/// assert!(shared::install(Box::new(Local)).is_ok());
/// assert_eq!(shared::install(Box::new(Local)), Err(shared::AlreadyInstalled));
/// ```
pub fn install(store: Box<dyn BudgetStore>) -> Result<(), AlreadyInstalled> {
    let mut store = Some(store);
    STORE.get_or_init(|| store.take().expect("taken once"));
    match store {
        None => Ok(()),
        Some(_) => Err(AlreadyInstalled),
    }
}

impl RetryBudget {
    /// The fleet's view of this budget, when a store is installed and the budget is
    /// registered.
    pub(super) fn shared_budget(&self) -> Option<Arc<dyn SharedBudget>> {
        let store = STORE.get()?;
        match self.attached.load(Ordering::Acquire) {
            0 => self.attach(store.as_ref()),
            slot => read(&ATTACHED)[slot - 1].clone(),
        }
    }

    #[cold]
    #[inline(never)]
    fn attach(&self, store: &dyn BudgetStore) -> Option<Arc<dyn SharedBudget>> {
        if !self.registered.load(Ordering::Acquire) {
            return None;
        }
        // The registered budget of this name is this one, as a `&'static`.
        let registered = crate::registry::find("retry_budget", self.name())
            .and_then(|found| (found as &dyn core::any::Any).downcast_ref::<RetryBudget>())
            .filter(|found| core::ptr::eq(*found, self))?;
        let mut attached = ATTACHED.write().unwrap_or_else(PoisonError::into_inner);
        // Another thread may have attached it while this one waited for the lock.
        if let slot @ 1.. = self.attached.load(Ordering::Acquire) {
            return attached[slot - 1].clone();
        }
        let shared = store.attach(registered);
        attached.push(shared.clone());
        self.attached.store(attached.len(), Ordering::Release);
        shared
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
