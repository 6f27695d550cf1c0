//! Every registered protection (breakers, and every pattern that keeps state: rate
//! limiters, bulkheads, retry budgets), by name, for dashboards, health endpoints,
//! metrics and tests.
//!
//! Every `#[circuit]`'s breakers are here **from start-up**, before their function ever
//! runs: each expansion adds its `static` to a link-time list ([`ATTRIBUTES`], with the
//! `linkme` crate: the linker gathers them, no code runs at start-up), so a health
//! endpoint lists every breaker of the program at once. A function's breaker is its own
//! entry; the breakers of a method (one per `Self` type) and of a `key = ..` (one per
//! key) are one entry whose status lists its members ([`Value::Members`]), each member
//! also found by its own name (`"app::OpenAi::chat"`, `"llm/gpt-4"`) through
//! [`circuit`]. Members appear as they are made (a type's at its first call, a key's at
//! its first use).
//!
//! Breakers made in code register with [`CircuitBreaker::register`] (or [`register`]
//! for any protection), and can then be found the same way:
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
//! The registry of breakers made in code is a `Mutex` around a list, and that is fine:
//! it is locked only when a breaker registers for the first time and when someone looks
//! breakers up. Calls never touch it; [`CircuitBreaker::register`] is a single atomic
//! load once the breaker is in. Breakers are never removed, which is what lets lookups
//! hand out `&'static CircuitBreaker`: a keyed breaker found by name is kept by its
//! family for good (never evicted), so the reference stays that key's. Only `'static`
//! breakers can register; a breaker owned by a client instance is reached through that
//! instance instead.

use core::any::Any;
use core::time::Duration;
use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::circuit::{Breakers, CircuitBreaker};

/// The attributes' protections, gathered by the linker: every expansion of `#[circuit]`
/// (and of any attribute that keeps state) adds its `static` here. Read through [`all`].
///
/// ```
/// // What an expansion adds next to its `static`:
/// // #[linkme::distributed_slice(resilience_core::registry::ATTRIBUTES)]
/// // static ENTRY: &'static dyn Protection = &BREAKERS;
/// assert!(resilience_core::registry::ATTRIBUTES.len() < usize::MAX);
/// ```
#[linkme::distributed_slice]
pub static ATTRIBUTES: [&'static dyn Protection];

/// Something that protects calls and keeps state worth looking at: a circuit breaker, a
/// rate limiter, a bulkhead, a retry budget. Registered ones are listed by [`all`].
///
/// Each pattern implements it for its shared type and registers its instances (the
/// attributes' `static`s register themselves); a status page or a metrics exporter reads
/// [`status`](Self::status) when asked, never on a call's path.
///
/// ```
/// use resilience_core::registry::{self, Protection, Status, Value};
///
/// struct Quota;
/// impl Protection for Quota {
///     fn kind(&self) -> &'static str { "quota" }
///     fn name(&self) -> &str { "docs::quota" }
///     fn status(&self) -> Status { Status::new().with("left", Value::Count(7)) }
/// }
///
/// static QUOTA: Quota = Quota;
/// registry::register(&QUOTA);
/// let found = registry::find("quota", "docs::quota").expect("registered");
/// assert_eq!(found.status().get("left"), Some(&Value::Count(7)));
/// ```
pub trait Protection: Any + Send + Sync {
    /// What it is, in snake case: `"circuit"`, `"rate_limit"`, `"bulkhead"`,
    /// `"retry_budget"`.
    fn kind(&self) -> &'static str;

    /// Its name, unique within its kind.
    fn name(&self) -> &str;

    /// How it stands now.
    fn status(&self) -> Status;

    /// Called once when it enters the registry: a type that registers itself on first
    /// use keeps a flag here so that later calls skip the registry's lock.
    fn registered(&self) {}

    /// The instance serving calls now, when that is not this entry itself: a named
    /// policy's breaker, limiter or bulkhead is remade when its file changes, and its
    /// entry answers the current one. Lookups by type ([`circuit`], [`circuits`],
    /// [`rate_limiter`], [`bulkhead`]) return what this gives. `None`: the entry itself.
    ///
    /// ```
    /// use resilience_core::{circuit::CircuitBreaker, registry::Protection};
    ///
    /// static BREAKER: CircuitBreaker = match CircuitBreaker::builder().build() {
    ///     Ok(breaker) => breaker,
    ///     Err(_) => panic!(),
    /// };
    /// assert!(BREAKER.serving().is_none(), "a breaker serves calls itself");
    /// ```
    fn serving(&'static self) -> Option<&'static dyn Any> {
        None
    }
}

/// `entry`'s instance serving calls now, as a `P`.
fn serving_as<P: Any>(entry: &'static dyn Protection) -> Option<&'static P> {
    let any: &'static dyn Any = entry.serving().unwrap_or(entry);
    any.downcast_ref::<P>()
}

/// A protection's state, as named values in a fixed order.
///
/// ```
/// use resilience_core::registry::{Status, Value};
///
/// let status = Status::new().with("state", Value::text("open")).with("failures", Value::Count(3));
/// assert_eq!(status.get("failures"), Some(&Value::Count(3)));
/// assert_eq!(status.fields().len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    fields: Vec<(&'static str, Value)>,
}

impl Status {
    /// No values yet.
    ///
    /// ```
    /// assert!(resilience_core::registry::Status::new().fields().is_empty());
    /// ```
    pub const fn new() -> Self {
        Status { fields: Vec::new() }
    }

    /// Adds a value.
    ///
    /// ```
    /// use resilience_core::registry::{Status, Value};
    ///
    /// let status = Status::new().with("in_use", Value::Count(2));
    /// assert_eq!(status.get("in_use"), Some(&Value::Count(2)));
    /// ```
    #[must_use]
    pub fn with(mut self, name: &'static str, value: Value) -> Self {
        self.fields.push((name, value));
        self
    }

    /// The value called `name`.
    ///
    /// ```
    /// assert_eq!(resilience_core::registry::Status::new().get("x"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Every value, in the order given.
    ///
    /// ```
    /// use resilience_core::registry::{Status, Value};
    ///
    /// let status = Status::new().with("a", Value::Flag(true));
    /// assert_eq!(status.fields(), &[("a", Value::Flag(true))]);
    /// ```
    pub fn fields(&self) -> &[(&'static str, Value)] {
        &self.fields
    }
}

/// One value of a [`Status`].
///
/// ```
/// use resilience_core::registry::Value;
///
/// assert_eq!(Value::text("closed"), Value::Text("closed".into()));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A count (calls, permits, tokens).
    Count(u64),
    /// A share or a rate (a failure rate in `0.0..=1.0`, requests per second).
    Ratio(f64),
    /// A length of time (until a breaker may probe, until capacity returns).
    Duration(Duration),
    /// A word (a state).
    Text(Cow<'static, str>),
    /// Yes or no.
    Flag(bool),
    /// The statuses of the members of a family, by key (a keyed breaker's breakers).
    Members(Vec<(String, Status)>),
}

impl Value {
    /// A [`Value::Text`] from a static string.
    ///
    /// ```
    /// let value = resilience_core::registry::Value::text("open");
    /// # let _ = value;
    /// ```
    pub const fn text(text: &'static str) -> Self {
        Value::Text(Cow::Borrowed(text))
    }
}

/// Registered protections, in registration order.
static ENTRIES: Mutex<Vec<&'static dyn Protection>> = Mutex::new(Vec::new());

fn lock() -> MutexGuard<'static, Vec<&'static dyn Protection>> {
    // Nothing panics while the lock is held, and a list of references stays valid
    // whatever happened, so a poisoned lock is still usable.
    ENTRIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds `protection` to the registry unless it is already there (compared by address).
/// Breakers are usually registered through [`CircuitBreaker::register`], which skips the
/// lock once the breaker is in.
///
/// Registering a second, different protection of the same kind under a name already
/// taken keeps both in [`all`], but lookups by name keep returning the first one, and a
/// `warn` event (target `resilience`) reports the clash.
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
pub fn register<P: Protection>(protection: &'static P) {
    let protection: &'static dyn Protection = protection;
    let mut entries = lock();
    if entries.iter().any(|e| core::ptr::addr_eq(*e, protection)) {
        return;
    }
    let clash = entries
        .iter()
        .any(|e| e.kind() == protection.kind() && e.name() == protection.name());
    if clash {
        tracing::warn!(
            target: "resilience",
            kind = protection.kind(),
            name = protection.name(),
            "another protection of this kind is already registered under this name; \
             lookups by name keep returning the first one"
        );
    }
    entries.push(protection);
    protection.registered();
}

/// Every protection: the attributes' (from start-up, in link order), then those
/// registered in code (in registration order). Attributes that share a breaker by name
/// are one entry.
///
/// ```
/// use resilience_core::{circuit::CircuitBreaker, registry};
///
/// static API: CircuitBreaker = match CircuitBreaker::builder().name("docs::api").build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!(),
/// };
///
/// API.register();
/// for protection in registry::all() {
///     println!("{} {}: {:?}", protection.kind(), protection.name(), protection.status());
/// }
/// ```
pub fn all() -> Vec<&'static dyn Protection> {
    let mut all: Vec<&'static dyn Protection> = ATTRIBUTES
        .iter()
        .copied()
        .filter(|entry| {
            let any: &'static dyn Any = *entry;
            any.downcast_ref::<Breakers>()
                .is_none_or(Breakers::is_owner)
        })
        .collect();
    for entry in lock().iter() {
        if !all.iter().any(|e| core::ptr::addr_eq(*e, *entry)) {
            all.push(*entry);
        }
    }
    all
}

/// The registered protection of `kind` named `name` (the first registered, when several
/// share it).
///
/// ```
/// assert!(resilience_core::registry::find("circuit", "no such breaker").is_none());
/// ```
pub fn find(kind: &str, name: &str) -> Option<&'static dyn Protection> {
    all()
        .into_iter()
        .find(|p| p.kind() == kind && p.name() == name)
}

/// The breaker named `name`, if any: an attribute's, a member of an attribute's family
/// (`"app::OpenAi::chat"`, `"llm/gpt-4"`: such a keyed breaker is then kept for good),
/// or one registered in code. When several share a name, the first in [`all`]'s order.
///
/// ```
/// use resilience_core::registry;
///
/// assert!(registry::circuit("no such breaker").is_none());
/// ```
pub fn circuit(name: &str) -> Option<&'static CircuitBreaker> {
    all().into_iter().find_map(|entry| {
        if let Some(breaker) = serving_as::<CircuitBreaker>(entry) {
            return (breaker.name() == name).then_some(breaker);
        }
        serving_as::<Breakers>(entry)?.find(name)
    })
}

/// Every breaker, in [`all`]'s order: the attributes' (a function's, and a method's
/// for each `Self` type so far) and those registered in code. Keyed breakers are not
/// listed one by one (that would keep them from eviction): see their family's entry in
/// [`all`], or look one up by name with [`circuit`].
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
    let mut out = Vec::new();
    for entry in all() {
        if let Some(breaker) = serving_as::<CircuitBreaker>(entry) {
            out.push(breaker);
        } else if let Some(breakers) = serving_as::<Breakers>(entry) {
            breakers.listed(&mut out);
        }
    }
    out
}

/// Calls `visit` with every breaker of a key (`#[circuit(key = ..)]`'s members) alive
/// now, each held while it is visited and **not** kept: unlike a lookup by name, a visit
/// lets the family evict it later. What a fleet-wide store uses to share keyed breakers
/// without keeping every key for good.
///
/// ```
/// use std::num::NonZeroUsize;
/// use resilience_core::{circuit::{Breakers, CircuitBreaker, Scope}, registry};
///
/// static LLM: Breakers = Breakers::new(
///     match CircuitBreaker::builder().name("docs::llm").build() { Ok(b) => b, Err(_) => panic!() },
///     Scope::PerKey,
///     NonZeroUsize::new(8).unwrap(),
/// );
/// registry::register(&LLM);
/// drop(LLM.for_key("gpt-4"));
/// let mut names = Vec::new();
/// registry::for_each_keyed_circuit(|breaker| names.push(breaker.name().to_owned()));
/// assert!(names.contains(&"docs::llm/gpt-4".to_owned()));
/// ```
pub fn for_each_keyed_circuit(mut visit: impl FnMut(&CircuitBreaker)) {
    for entry in all() {
        if let Some(breakers) = serving_as::<Breakers>(entry) {
            breakers.for_each_keyed(&mut visit);
        }
    }
}

/// Calls `act` with the breaker of a key named `name` if it is alive now, held while
/// `act` runs and not kept (see [`for_each_keyed_circuit`]); `None` when there is none.
///
/// ```
/// use std::num::NonZeroUsize;
/// use resilience_core::{circuit::{Breakers, CircuitBreaker, Scope, State}, registry};
///
/// static MODELS: Breakers = Breakers::new(
///     match CircuitBreaker::builder().name("docs::models").build() { Ok(b) => b, Err(_) => panic!() },
///     Scope::PerKey,
///     NonZeroUsize::new(8).unwrap(),
/// );
/// registry::register(&MODELS);
/// drop(MODELS.for_key("claude"));
/// assert_eq!(registry::with_keyed_circuit("docs::models/claude", |b| b.state()), Some(State::Closed));
/// assert_eq!(registry::with_keyed_circuit("docs::models/none", |b| b.state()), None);
/// ```
pub fn with_keyed_circuit<R>(name: &str, act: impl FnOnce(&CircuitBreaker) -> R) -> Option<R> {
    let mut act = Some(act);
    let mut answer = None;
    for_each_keyed_circuit(|breaker| {
        if breaker.name() == name {
            if let Some(act) = act.take() {
                answer = Some(act(breaker));
            }
        }
    });
    answer
}

/// Registers `protection` unless one of its type, kind and name is registered already:
/// then returns that one, so that everything given one name shares one instance (the
/// first to register; a later one whose settings differ, as `same` tells, gets a `warn`
/// event).
pub(crate) fn adopt<P: Protection>(
    protection: &'static P,
    same: impl Fn(&P, &P) -> bool,
) -> &'static P {
    let mut entries = lock();
    for entry in entries.iter() {
        if core::ptr::addr_eq(*entry, protection) {
            return protection;
        }
        if entry.kind() != protection.kind() || entry.name() != protection.name() {
            continue;
        }
        if let Some(first) = (*entry as &dyn Any).downcast_ref::<P>() {
            if !same(first, protection) {
                tracing::warn!(
                    target: "resilience",
                    kind = protection.kind(),
                    name = protection.name(),
                    "another one of this kind and name was registered first with other settings; \
                     both share the first one's"
                );
            }
            return first;
        }
    }
    entries.push(protection);
    protection.registered();
    protection
}

/// The protection of type `P` and `kind` named `name` serving calls now.
fn find_as<P: Protection>(kind: &str, name: &str) -> Option<&'static P> {
    all()
        .into_iter()
        .filter(|p| p.kind() == kind && p.name() == name)
        .find_map(serving_as::<P>)
}

/// The registered rate limiter named `name`, if any: the one every `#[rate_limit]` with
/// that name shares.
///
/// ```
/// assert!(resilience_core::registry::rate_limiter("no such limiter").is_none());
/// ```
pub fn rate_limiter(name: &str) -> Option<&'static crate::rate_limit::RateLimiter> {
    find_as("rate_limit", name)
}

/// The registered bulkhead named `name`, if any: the one every `#[bulkhead]` with that
/// name shares.
///
/// ```
/// assert!(resilience_core::registry::bulkhead("no such bulkhead").is_none());
/// ```
pub fn bulkhead(name: &str) -> Option<&'static crate::bulkhead::Bulkhead> {
    find_as("bulkhead", name)
}
