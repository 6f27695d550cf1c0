//! Budgets by name: every function that names `#[retry(budget = "openai")]` shares one.

use std::sync::{Mutex, OnceLock, PoisonError};

use super::RetryBudget;
use crate::registry;

/// Budgets made by [`named`], so that two first uses of one name cannot make two.
static MADE: Mutex<Vec<&'static RetryBudget>> = Mutex::new(Vec::new());

/// The process-wide budget called `name`: the one [registered](RetryBudget::register)
/// under that name if there is one, else one made now with the default settings (and
/// registered). The same budget for every caller, for the life of the process.
///
/// To give a named budget settings of its own, register it before its first use, or
/// pass it as `budget = &BUDGET` instead of by name.
///
/// ```
/// use resilience_core::retry::{budget, RetryBudget};
///
/// static LLM: RetryBudget = match RetryBudget::builder().name("docs::named").ratio(0.1).build() {
///     Ok(budget) => budget,
///     Err(_) => panic!(),
/// };
/// LLM.register();
/// assert!(std::ptr::eq(budget::named("docs::named"), &LLM));
///
/// let made = budget::named("docs::made");
/// assert_eq!((made.name(), made.ratio()), ("docs::made", 0.2));
/// assert!(std::ptr::eq(budget::named("docs::made"), made));
/// ```
pub fn named(name: &'static str) -> &'static RetryBudget {
    // Nothing panics while the lock is held, so a poisoned list is still whole.
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(budget) = made.iter().find(|budget| budget.name() == name) {
        return budget;
    }
    let registered = registry::find("retry_budget", name)
        .and_then(|found| (found as &dyn core::any::Any).downcast_ref::<RetryBudget>());
    let budget = match registered {
        Some(budget) => budget,
        None => {
            let built = RetryBudget::builder().name(name).build();
            // The default settings are valid.
            let budget: &'static RetryBudget =
                Box::leak(Box::new(built.unwrap_or_else(|_| {
                    unreachable!("the default budget settings are valid")
                })));
            budget.register()
        }
    };
    made.push(budget);
    budget
}

/// A handle to the budget called `name`, resolved on first use and then kept: what
/// `#[retry(budget = "name")]` keeps in a `static`. [`get`](Self::get) costs one atomic
/// load after the first call.
///
/// ```
/// use resilience_core::retry::NamedBudget;
///
/// static OPENAI: NamedBudget = NamedBudget::new("docs::openai");
/// let budget = OPENAI.get();
/// assert_eq!(budget.name(), "docs::openai");
/// assert!(std::ptr::eq(OPENAI.get(), budget));
/// ```
#[derive(Debug)]
pub struct NamedBudget {
    name: &'static str,
    budget: OnceLock<&'static RetryBudget>,
}

impl NamedBudget {
    /// A handle to the budget called `name`.
    ///
    /// ```
    /// static BUDGET: resilience_core::retry::NamedBudget =
    ///     resilience_core::retry::NamedBudget::new("docs::handle");
    /// # let _ = &BUDGET;
    /// ```
    pub const fn new(name: &'static str) -> Self {
        NamedBudget {
            name,
            budget: OnceLock::new(),
        }
    }

    /// The budget (see [`named`]).
    ///
    /// ```
    /// static BUDGET: resilience_core::retry::NamedBudget =
    ///     resilience_core::retry::NamedBudget::new("docs::get");
    /// assert_eq!(BUDGET.get().name(), "docs::get");
    /// ```
    #[inline(always)]
    pub fn get(&self) -> &'static RetryBudget {
        match self.budget.get() {
            Some(budget) => budget,
            None => self.resolve(),
        }
    }

    #[cold]
    #[inline(never)]
    fn resolve(&self) -> &'static RetryBudget {
        self.budget.get_or_init(|| named(self.name))
    }
}
