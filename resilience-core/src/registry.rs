//! Every registered [`CircuitBreaker`], by name, for dashboards, health endpoints and
//! tests.
//!
//! `#[circuit]` keeps one breaker per function in a `static` and registers it on the
//! function's first call, so the breaker behind any decorated function can be found by
//! its name without threading references through the program:
//!
//! ```
//! use resilience_core::{circuit::CircuitBreaker, registry};
//!
//! static GPT4: CircuitBreaker = match CircuitBreaker::builder().name("docs::gpt4").build() {
//!     Ok(breaker) => breaker,
//!     Err(_) => panic!(),
//! };
//!
//! GPT4.register();
//! let breaker = registry::circuit("docs::gpt4").expect("registered above");
//! println!("{} is {}: {:?}", breaker.name(), breaker.state(), breaker.stats());
//! ```
//!
//! The registry is a `Mutex` around a list, and that is fine: it is locked only when a
//! breaker registers for the first time and when someone looks breakers up. Calls
//! never touch it; [`CircuitBreaker::register`] is a single atomic load once the breaker
//! is in. Breakers are never removed, which is what lets lookups hand out
//! `&'static CircuitBreaker`. Only `'static` breakers can register; a breaker owned by
//! a client instance is reached through that instance instead.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::circuit::CircuitBreaker;

/// Registered breakers, in registration order.
static BREAKERS: Mutex<Vec<&'static CircuitBreaker>> = Mutex::new(Vec::new());

fn lock() -> MutexGuard<'static, Vec<&'static CircuitBreaker>> {
    // Nothing panics while the lock is held, and a list of references stays valid
    // whatever happened, so a poisoned lock is still usable.
    BREAKERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registered breaker named `name`, if any. When several registered breakers share
/// a name, this is the first one registered.
///
/// ```
/// use resilience_core::registry;
///
/// assert!(registry::circuit("no such breaker").is_none());
/// ```
pub fn circuit(name: &str) -> Option<&'static CircuitBreaker> {
    lock()
        .iter()
        .copied()
        .find(|breaker| breaker.name() == name)
}

/// Adds `breaker` to the registry unless it is already there (same breaker, compared
/// by address). Usually called through [`CircuitBreaker::register`], which skips the
/// lock once the breaker is in.
///
/// Registering a second, different breaker under a name already taken keeps both in
/// [`circuits`], but [`circuit`] keeps returning the first one, and a `warn` event
/// (target `resilience`) reports the clash.
///
/// ```
/// use resilience_core::{circuit::CircuitBreaker, registry};
///
/// static DB: CircuitBreaker = match CircuitBreaker::builder().name("docs::db").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
///
/// registry::register(&DB);
/// registry::register(&DB); // no effect
/// let count = registry::circuits().iter().filter(|b| b.name() == "docs::db").count();
/// assert_eq!(count, 1);
/// ```
pub fn register(breaker: &'static CircuitBreaker) {
    let mut breakers = lock();
    if breaker.is_registered() {
        return;
    }
    if breakers.iter().any(|other| other.name() == breaker.name()) {
        tracing::warn!(
            target: "resilience",
            name = breaker.name(),
            "another circuit breaker is already registered under this name; \
             `registry::circuit` keeps returning the first one"
        );
    }
    breakers.push(breaker);
    breaker.set_registered();
}

/// Every registered breaker, in registration order.
///
/// ```
/// use resilience_core::{circuit::CircuitBreaker, registry};
///
/// static A: CircuitBreaker = match CircuitBreaker::builder().name("docs::a").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
///
/// A.register();
/// for breaker in registry::circuits() {
///     println!("{}: {} {:?}", breaker.name(), breaker.state(), breaker.stats());
/// }
/// assert!(registry::circuits().iter().any(|b| std::ptr::eq(*b, &A)));
/// ```
pub fn circuits() -> Vec<&'static CircuitBreaker> {
    lock().clone()
}
