//! The breakers of one `#[circuit]`: which breaker a call gets.
//!
//! - a function gets one breaker;
//! - a method (a function with `self`, or whose signature names `Self`) gets one per
//!   `Self` type, named `module::Type::method`: a trait's default method implemented by
//!   `OpenAi` and `Anthropic` never shares a breaker between them;
//! - with `key = EXPR`, one per distinct key value, named `"{name}/{key}"`, at most
//!   `max_keys` of them (idle closed ones are evicted first, open ones never);
//! - functions that give the same `name = ".."` share one [`Breakers`]: the first one
//!   used (called, or listed by the [`registry`](crate::registry)) is kept, and a later
//!   one with other settings gets a `warn` event.
//!
//! Every `Breakers` of an attribute is in the registry from start-up (a link-time list,
//! see [`registry::all`](crate::registry::all)); the per-type and per-key breakers inside
//! it appear as they are made.

use core::any::TypeId;
use core::fmt;
use core::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use super::{CircuitBreaker, State};
use crate::keyed::{Equivalent, Evict, Family, Member};
use crate::registry::{Protection, Status, Value};
use crate::sync::AtomicPtr;
use crate::sync::Ordering::{Acquire, Release};
#[cfg(not(loom))]
use core::num::NonZeroUsize;

/// Which breaker a call of an attributed function gets (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One breaker.
    Function,
    /// One breaker per `Self` type.
    PerType,
    /// One breaker per key.
    PerKey,
    /// One breaker per `Self` type and key.
    PerTypeAndKey,
}

/// The breakers of one `#[circuit]`, kept in a `static` by the expansion: one breaker,
/// or a [`Family`] of them by `Self` type and/or key, each made on first use with the
/// attribute's settings. Usable by hand too.
///
/// ```
/// use std::num::NonZeroUsize;
/// use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
///
/// const SETTINGS: CircuitBreaker = match CircuitBreaker::builder().name("llm").threshold(2).build() {
///     Ok(breaker) => breaker,
///     Err(_) => panic!("bad settings"),
/// };
/// static LLM: Breakers = Breakers::new(SETTINGS, Scope::PerKey, NonZeroUsize::new(1024).unwrap());
///
/// let gpt4 = LLM.for_key("gpt-4").expect("room for the key");
/// gpt4.try_acquire().unwrap().failure();
/// gpt4.try_acquire().unwrap().failure();
/// assert!(gpt4.try_acquire().is_err());
/// assert!(LLM.for_key("claude").unwrap().try_acquire().is_ok()); // another failure domain
/// assert_eq!(gpt4.name(), "llm/gpt-4");
/// ```
pub struct Breakers {
    /// The only breaker (`Scope::Function`), else the settings every member copies.
    template: CircuitBreaker,
    scope: Scope,
    /// Where a `Self` type's breakers are named: the function's module and name.
    module: &'static str,
    function: &'static str,
    /// Given a `name`: shared with every attribute that gives the same one.
    shared: bool,
    members: Family<Key, Kept>,
    /// The `Breakers` this one's calls use: itself, or the first one with its name.
    owner: AtomicPtr<Breakers>,
}

impl Breakers {
    /// The breakers of a function: `template`'s settings and name, split per `scope`,
    /// at most `max_keys` per key (ignored without a key). Not shared by name: see
    /// [`shared`](Self::shared).
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    ///
    /// let breakers = Breakers::new(CircuitBreaker::builder().build()?, Scope::Function, NonZeroUsize::MIN);
    /// assert_eq!(breakers.scope(), Scope::Function);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[cfg(not(loom))]
    pub const fn new(template: CircuitBreaker, scope: Scope, max_keys: NonZeroUsize) -> Self {
        let members = match scope {
            Scope::Function | Scope::PerType => Family::unbounded(),
            Scope::PerKey | Scope::PerTypeAndKey => Family::new(max_keys),
        };
        Breakers {
            template,
            scope,
            module: "",
            function: "",
            shared: false,
            members,
            owner: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Names the breakers of each `Self` type `module::Type::function` (what
    /// `#[circuit]` passes: `module_path!()` and the function's name).
    ///
    /// ```
    /// use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    ///
    /// # use std::num::NonZeroUsize;
    /// struct OpenAi;
    /// let template = CircuitBreaker::builder().name("app::chat").build()?;
    /// let breakers: &'static Breakers = Box::leak(Box::new(
    ///     Breakers::new(template, Scope::PerType, NonZeroUsize::MIN).located("app", "chat"),
    /// ));
    /// assert_eq!(breakers.for_type::<OpenAi>().name(), "app::OpenAi::chat");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    #[must_use]
    pub const fn located(mut self, module: &'static str, function: &'static str) -> Self {
        self.module = module;
        self.function = function;
        self
    }

    /// Shares these breakers with every `Breakers` of the same name marked shared: the
    /// first one used is kept (see the module docs).
    ///
    /// ```
    /// use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    ///
    /// # use std::num::NonZeroUsize;
    /// fn shared() -> &'static Breakers {
    ///     let template = CircuitBreaker::builder().name("docs::shared").build().unwrap();
    ///     Box::leak(Box::new(Breakers::new(template, Scope::Function, NonZeroUsize::MIN).shared()))
    /// }
    /// let (a, b) = (shared(), shared());
    /// assert!(std::ptr::eq(a.function_breaker(), b.function_breaker()));
    /// ```
    #[must_use]
    pub const fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    /// The name given to the breakers (the function's path by default).
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// let b = Breakers::new(CircuitBreaker::builder().name("x").build()?, Scope::Function, NonZeroUsize::MIN);
    /// assert_eq!(b.name(), "x");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn name(&self) -> &str {
        self.template.name()
    }

    /// How calls are split between breakers.
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// let b = Breakers::new(CircuitBreaker::builder().build()?, Scope::PerKey, NonZeroUsize::MIN);
    /// assert_eq!(b.scope(), Scope::PerKey);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The `Breakers` calls through this one use: itself, or the first one used with
    /// the same shared name.
    #[inline]
    fn owner(&'static self) -> &'static Breakers {
        if !self.shared {
            return self;
        }
        let owner = self.owner.load(Acquire);
        if owner.is_null() {
            return self.resolve();
        }
        // SAFETY: set below to a `&'static Breakers`.
        unsafe { &*owner }
    }

    #[cold]
    #[inline(never)]
    fn resolve(&'static self) -> &'static Breakers {
        static OWNERS: Mutex<Vec<&'static Breakers>> = Mutex::new(Vec::new());
        let mut owners = OWNERS.lock().unwrap_or_else(PoisonError::into_inner);
        let owner = self.owner.load(Acquire);
        if !owner.is_null() {
            // SAFETY: as in `owner`.
            return unsafe { &*owner };
        }
        let first = owners.iter().copied().find(|o| o.name() == self.name());
        let owner = match first {
            Some(first) if first.scope != self.scope => {
                tracing::warn!(
                    target: "resilience",
                    name = self.name(),
                    "two `#[circuit]`s give this name but one splits its calls by key or `Self` type and the other does not, so they cannot share a breaker; each keeps its own"
                );
                self
            }
            Some(first) => {
                if !first.same_settings(self) {
                    tracing::warn!(
                        target: "resilience",
                        name = self.name(),
                        "functions sharing this breaker name give different settings; the first one used made the breaker, and its settings apply to all of them"
                    );
                }
                first
            }
            None => {
                owners.push(self);
                self
            }
        };
        let pointer: *const Breakers = owner;
        self.owner.store(pointer.cast_mut(), Release);
        owner
    }

    fn same_settings(&self, other: &Breakers) -> bool {
        self.template.hot.0.config == other.template.hot.0.config
            && self.members.max_keys() == other.members.max_keys()
    }

    /// The breaker of a function ([`Scope::Function`]).
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().build() { Ok(b) => b, Err(_) => panic!() };
    /// static ONE: Breakers = Breakers::new(T, Scope::Function, NonZeroUsize::new(1).unwrap());
    /// assert!(ONE.function_breaker().try_acquire().is_ok());
    /// ```
    #[inline]
    pub fn function_breaker(&'static self) -> &'static CircuitBreaker {
        &self.owner().template
    }

    /// The breaker of a function that shares it with nobody: [`function_breaker`]
    /// without the look for a shared name's first user (what `#[circuit]` calls when
    /// no `name` is given).
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// let b = Breakers::new(CircuitBreaker::builder().build()?, Scope::Function, NonZeroUsize::MIN);
    /// assert!(b.own_breaker().try_acquire().is_ok());
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    ///
    /// [`function_breaker`]: Self::function_breaker
    #[inline]
    pub const fn own_breaker(&self) -> &CircuitBreaker {
        &self.template
    }

    /// The breaker of the `Self` type `S` ([`Scope::PerType`]), made on first use.
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().build() { Ok(b) => b, Err(_) => panic!() };
    /// static CHAT: Breakers = Breakers::new(T, Scope::PerType, NonZeroUsize::new(1).unwrap()).located("app", "chat");
    /// struct OpenAi;
    /// struct Anthropic;
    /// assert!(!std::ptr::eq(&*CHAT.for_type::<OpenAi>(), &*CHAT.for_type::<Anthropic>()));
    /// ```
    #[inline]
    pub fn for_type<S: ?Sized>(&'static self) -> Member<'static, Key, Kept> {
        let owner = self.owner();
        let probe = Probe {
            ty: Some(typeid::of::<S>()),
            text: None,
        };
        owner
            .members
            .get_or_insert_with(&probe, || owner.make(Some(type_name::<S>()), &probe))
            .expect("a family that never evicts always has room")
    }

    /// The breaker of the key `key` ([`Scope::PerKey`]), made on first use; `None` when
    /// the family is full and no breaker can be evicted (the call goes through
    /// uncovered, counted in the status's `refused`).
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().name("llm").build() { Ok(b) => b, Err(_) => panic!() };
    /// static LLM: Breakers = Breakers::new(T, Scope::PerKey, NonZeroUsize::new(8).unwrap());
    /// assert_eq!(LLM.for_key("gpt-4").unwrap().name(), "llm/gpt-4");
    /// ```
    #[inline]
    pub fn for_key(&'static self, key: &str) -> Option<Member<'static, Key, Kept>> {
        let owner = self.owner();
        let probe = Probe {
            ty: None,
            text: Some(key),
        };
        owner
            .members
            .get_or_insert_with(&probe, || owner.make(None, &probe))
    }

    /// The breaker of the `Self` type `S` and the key `key` ([`Scope::PerTypeAndKey`]).
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().build() { Ok(b) => b, Err(_) => panic!() };
    /// static CHAT: Breakers = Breakers::new(T, Scope::PerTypeAndKey, NonZeroUsize::new(8).unwrap()).located("app", "chat");
    /// struct OpenAi;
    /// assert_eq!(CHAT.for_type_and_key::<OpenAi>("gpt-4").unwrap().name(), "app::OpenAi::chat/gpt-4");
    /// ```
    #[inline]
    pub fn for_type_and_key<S: ?Sized>(
        &'static self,
        key: &str,
    ) -> Option<Member<'static, Key, Kept>> {
        let owner = self.owner();
        let probe = Probe {
            ty: Some(typeid::of::<S>()),
            text: Some(key),
        };
        owner
            .members
            .get_or_insert_with(&probe, || owner.make(Some(type_name::<S>()), &probe))
    }

    /// A new member: its key and its breaker, named after the type and the key.
    fn make(&self, type_name: Option<String>, probe: &Probe<'_>) -> (Key, Kept) {
        let base = match &type_name {
            Some(ty) => format!("{}::{}::{}", self.module, ty, self.function),
            None => self.name().to_owned(),
        };
        let name = match probe.text {
            Some(text) => format!("{base}/{text}"),
            None => base,
        };
        let key = Key {
            ty: probe.ty,
            type_name,
            text: probe.text.map(Box::from),
        };
        // A `Self` type's breaker is kept for good (the family never evicts, and the
        // types of a program are few): its name can be `'static` for its errors. A
        // key's may be evicted, so its errors carry the family's name.
        let reported = match probe.text {
            None => &*Box::leak(name.clone().into_boxed_str()),
            Some(_) => self.template.reported_name(),
        };
        let breaker = CircuitBreaker::renamed(&self.template, Arc::from(name), reported);
        (key, Kept(breaker))
    }

    /// The breaker named `name` among these, kept for good if it is a keyed one (so that
    /// a `&'static` to it stays its key's).
    pub(crate) fn find(&'static self, name: &str) -> Option<&'static CircuitBreaker> {
        let owner = self.owner();
        if owner.scope == Scope::Function {
            return (owner.template.name() == name).then_some(&owner.template);
        }
        let mut found: Option<(Option<TypeId>, Option<Box<str>>)> = None;
        owner.members.for_each(|key, kept| {
            if found.is_none() && kept.0.name() == name {
                found = Some((key.ty, key.text.clone()));
            }
        });
        let (ty, text) = found?;
        let probe = Probe {
            ty,
            text: text.as_deref(),
        };
        let member = owner.members.get(&probe)?;
        (member.name() == name).then(|| &member.keep().0)
    }

    /// The breakers a listing of breakers shows: the function's, and those of each
    /// `Self` type (keyed ones are listed as members of the family only, since listing
    /// them as `&'static` would keep them forever).
    pub(crate) fn listed(&'static self, out: &mut Vec<&'static CircuitBreaker>) {
        let owner = self.owner();
        match owner.scope {
            Scope::Function => out.push(&owner.template),
            Scope::PerType => owner.members.for_each(|_, kept| {
                let breaker: *const CircuitBreaker = &kept.0;
                // SAFETY: a family that never evicts keeps its members as long as it
                // lives, and it is `'static`.
                out.push(unsafe { &*breaker });
            }),
            Scope::PerKey | Scope::PerTypeAndKey => {}
        }
    }

    /// Calls `visit` with each breaker of a key alive now (none for breakers without a
    /// key), each held while it is visited and not kept: eviction goes on.
    pub(crate) fn for_each_keyed(&'static self, visit: &mut dyn FnMut(&CircuitBreaker)) {
        let owner = self.owner();
        if matches!(owner.scope, Scope::PerKey | Scope::PerTypeAndKey) {
            owner.members.for_each(|_, kept| visit(&kept.0));
        }
    }

    /// Whether this one is listed, or stands for another (a later one with a shared
    /// name).
    pub(crate) fn is_owner(&'static self) -> bool {
        core::ptr::eq(self.owner(), self)
    }
}

impl Protection for Breakers {
    fn kind(&self) -> &'static str {
        "circuit"
    }

    fn name(&self) -> &str {
        Breakers::name(self)
    }

    /// The breaker's status ([`CircuitBreaker`]'s) for a function's breaker; for a
    /// family, `members` (each breaker's status, by type and/or key, after its `name`:
    /// what [`registry::circuit`](crate::registry::circuit) finds it by), `keys` and
    /// `max_keys`, and `refused` (calls that found the family full and went through
    /// uncovered).
    ///
    /// ```
    /// use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// use resilience_core::registry::{Protection, Value};
    ///
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().name("llm").build() { Ok(b) => b, Err(_) => panic!() };
    /// static LLM: Breakers = Breakers::new(T, Scope::PerKey, NonZeroUsize::new(8).unwrap());
    /// LLM.for_key("gpt-4").unwrap().try_acquire().unwrap().success();
    /// let Some(Value::Members(members)) = LLM.status().get("members").cloned() else { panic!() };
    /// assert_eq!(members[0].0, "gpt-4");
    /// assert_eq!(members[0].1.get("successes"), Some(&Value::Count(1)));
    /// assert_eq!(members[0].1.get("name"), Some(&Value::text("llm/gpt-4")));
    /// ```
    fn status(&self) -> Status {
        if self.scope == Scope::Function {
            return self.template.status();
        }
        let mut members = Vec::new();
        self.members.for_each(|key, kept| {
            // The name the member is found by (`"llm/gpt-4"`, `"app::OpenAi::chat"`),
            // which its key alone does not give for a `Self` type's.
            let breaker = &kept.0;
            let mut status =
                Status::new().with("name", Value::Text(breaker.name().to_owned().into()));
            for (field, value) in breaker.status().fields() {
                status = status.with(field, value.clone());
            }
            members.push((key.to_string(), status));
        });
        members.sort_by(|a, b| a.0.cmp(&b.0));
        let mut status = Status::new()
            .with("keys", Value::Count(members.len() as u64))
            .with("members", Value::Members(members));
        if let Some(max) = self.members.max_keys() {
            status = status
                .with("max_keys", Value::Count(max as u64))
                .with("refused", Value::Count(self.members.refused()));
        }
        status
    }
}

impl fmt::Debug for Breakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breakers")
            .field("name", &self.name())
            .field("scope", &self.scope)
            .field("shared", &self.shared)
            .field("members", &self.members.len())
            .finish()
    }
}

/// What a member of [`Breakers`] is found by: its `Self` type and/or its key.
#[derive(Debug)]
pub struct Key {
    ty: Option<TypeId>,
    /// The type's short name (`OpenAi`, `Client<Gpt>`), for status pages.
    type_name: Option<String>,
    text: Option<Box<str>>,
}

impl fmt::Display for Key {
    /// `OpenAi`, `gpt-4`, or `OpenAi/gpt-4`.
    ///
    /// ```
    /// # use resilience_core::circuit::{Breakers, CircuitBreaker, Scope};
    /// # use std::num::NonZeroUsize;
    /// # const T: CircuitBreaker = match CircuitBreaker::builder().build() { Ok(b) => b, Err(_) => panic!() };
    /// static LLM: Breakers = Breakers::new(T, Scope::PerKey, NonZeroUsize::new(8).unwrap());
    /// assert_eq!(LLM.for_key("gpt-4").unwrap().key().to_string(), "gpt-4");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.type_name, &self.text) {
            (Some(ty), Some(text)) => write!(f, "{ty}/{text}"),
            (Some(ty), None) => f.write_str(ty),
            (None, Some(text)) => f.write_str(text),
            (None, None) => Ok(()),
        }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Probe {
            ty: self.ty,
            text: self.text.as_deref(),
        }
        .hash(state);
    }
}

/// A lookup of a [`Key`]: hashes as the key does.
struct Probe<'a> {
    ty: Option<TypeId>,
    text: Option<&'a str>,
}

impl Hash for Probe<'_> {
    /// One write per part that is there: a key is always the same kind within a
    /// family, so the parts need no separators.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        if let Some(ty) = self.ty {
            ty.hash(state);
        }
        if let Some(text) = self.text {
            state.write(text.as_bytes());
        }
    }
}

impl Equivalent<Key> for Probe<'_> {
    #[inline]
    fn equivalent(&self, key: &Key) -> bool {
        self.ty == key.ty && self.text == key.text.as_deref()
    }
}

/// A breaker kept in [`Breakers`]: releases its name and channel when evicted (a
/// [`CircuitBreaker`] drops nothing itself, so that it can be built in a `const`).
/// Dereferences to the breaker.
pub struct Kept(CircuitBreaker);

impl core::ops::Deref for Kept {
    type Target = CircuitBreaker;

    #[inline]
    fn deref(&self) -> &CircuitBreaker {
        &self.0
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        // SAFETY: made by `CircuitBreaker::renamed` in `Breakers::make`, dropped once.
        unsafe { self.0.release() };
    }
}

impl Evict for Kept {
    fn may_evict(&self) -> bool {
        self.0.state() == State::Closed
    }
}

impl fmt::Debug for Kept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl super::BreakerRef for Member<'_, Key, Kept> {
    #[inline(always)]
    fn breaker(&self) -> Option<&CircuitBreaker> {
        Some(&self.0)
    }
}

/// `S`'s name as a user writes it in its module: the paths left out
/// (`app::llm::Client<app::llm::Gpt>` → `Client<Gpt>`).
fn type_name<S: ?Sized>() -> String {
    let full = core::any::type_name::<S>();
    let mut out = String::with_capacity(full.len());
    let mut segment = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            out.truncate(segment);
        } else {
            out.push(c);
            if !(c.is_alphanumeric() || c == '_') {
                segment = out.len();
            }
        }
    }
    out
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::type_name;

    mod llm {
        pub(super) struct Client<T>(T);
        pub(super) struct Gpt;
    }

    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(type_name::<llm::Client<llm::Gpt>>(), "Client<Gpt>");
        assert_eq!(type_name::<(u8, llm::Gpt)>(), "(u8, Gpt)");
        assert_eq!(type_name::<&'static str>(), "&str");
        assert_eq!(type_name::<dyn Fn(llm::Gpt)>(), "dyn Fn(Gpt)");
    }
}
