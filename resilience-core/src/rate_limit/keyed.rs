//! One limiter per key: `#[rate_limit(key = model)]` paces each model (deployment, host)
//! against its own quota, as providers meter them.
//!
//! A key is a quota domain: what the provider meters separately (a model, a deployment,
//! an API key, a host), never a user or a request id. Each distinct key gets a limiter
//! with the family's settings on first use, at most `max_keys` of them.
//!
//! **Which limiter may go.** A new key beyond `max_keys` evicts a limiter that no call
//! holds, that is *full again* (everything it handed out has come back: nobody waits and
//! both buckets are at their burst) and that was not used for a whole eviction sweep. A
//! full limiter is exactly a new one, so forgetting it lets no call through that the
//! quota would not have admitted.
//!
//! **When no limiter may go** (every one is in use or still paying back), the call is not
//! let through unlimited: it is paced by the family's *overflow* limiter, one more
//! limiter with the same settings shared by every key that found no room, and counted
//! (`overflowed` in the status). So the family never admits more than `max_keys + 1`
//! quotas' worth, and a flood of new keys shares one quota instead of getting one each.

use core::fmt;
use core::num::NonZeroUsize;
use std::sync::OnceLock;

use super::{LimiterRef, RateLimiter, Settings};
use crate::circuit::clock;
use crate::keyed::{Evict, Family, Member};
use crate::registry::{Protection, Status, Value};

/// The limiters of a `key = EXPR`: one per key, made on first use, at most `max_keys`.
///
/// A key is a quota domain: what the provider meters separately (a model, a deployment,
/// an API key, a host), never a user or a request id. A new key beyond `max_keys` evicts a
/// limiter that no call holds, that is *full again* (nobody waits and both buckets hold
/// their burst: a new one in its place admits exactly the same calls) and that was not
/// used for a whole eviction sweep. When none may go, the key is paced by the family's
/// *overflow* limiter (the same settings, shared by every key that found no room, counted
/// as [`overflowed`](Self::overflowed)): never let through unlimited, so the family admits
/// at most `max_keys + 1` quotas' worth.
///
/// ```
/// use std::num::NonZeroUsize;
/// use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
///
/// static MODELS: RateLimiters = RateLimiters::new(
///     ConfigError::unwrap_const(RateLimiter::builder().name("openai").requests(2).settings()),
///     NonZeroUsize::new(16).unwrap(),
/// );
///
/// let gpt4 = MODELS.for_key("gpt-4");
/// assert!(gpt4.try_acquire(0).is_ok());
/// assert!(gpt4.try_acquire(0).is_ok());
/// assert!(gpt4.try_acquire(0).is_err()); // gpt-4's quota is spent
/// assert!(MODELS.for_key("gpt-4o-mini").try_acquire(0).is_ok()); // another quota
/// ```
pub struct RateLimiters {
    /// The settings every member copies, and the limiter of the keys that found no room.
    overflow: RateLimiter,
    members: Family<Box<str>, RateLimiter>,
    /// The family this one's calls use: itself, or the first one registered with its
    /// name (so functions that give one `name` share each key's quota).
    shared: OnceLock<&'static RateLimiters>,
}

impl RateLimiters {
    /// A family of limiters with `settings` (validated by the builder's `settings()`), at
    /// most `max_keys` of them.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::rate_limit::{RateLimiter, RateLimiters};
    /// let settings = RateLimiter::builder().name("hosts").requests(10).settings()?;
    /// let family = RateLimiters::new(settings, NonZeroUsize::new(4).unwrap());
    /// assert_eq!(family.name(), "hosts");
    /// assert_eq!(family.max_keys(), 4);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new(settings: Settings, max_keys: NonZeroUsize) -> Self {
        RateLimiters {
            overflow: RateLimiter::new(settings),
            members: Family::new(max_keys),
            shared: OnceLock::new(),
        }
    }

    /// The family's name, which its members share.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::rate_limit::{RateLimiter, RateLimiters};
    /// let family = RateLimiters::new(RateLimiter::builder().requests(1).settings()?, NonZeroUsize::MIN);
    /// assert_eq!(family.name(), "rate_limit");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(&self) -> &'static str {
        self.overflow.name()
    }

    /// The most limiters kept (one per key).
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::rate_limit::{RateLimiter, RateLimiters};
    /// let family = RateLimiters::new(RateLimiter::builder().requests(1).settings()?, NonZeroUsize::MIN);
    /// assert_eq!(family.max_keys(), 1);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn max_keys(&self) -> usize {
        self.members.max_keys().unwrap_or(usize::MAX)
    }

    /// The limiter of `key`, made on first use; the overflow limiter when the family is
    /// full and none can be evicted.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
    /// static ONE: RateLimiters = RateLimiters::new(
    ///     ConfigError::unwrap_const(RateLimiter::builder().requests(1).settings()),
    ///     NonZeroUsize::MIN,
    /// );
    /// let a = ONE.for_key("a");
    /// assert!(a.is_own());
    /// let b = ONE.for_key("b"); // "a" is held: "b" shares the overflow limiter
    /// assert!(!b.is_own());
    /// assert_eq!(ONE.overflowed(), 1);
    /// ```
    #[inline]
    pub fn for_key(&'static self, key: &str) -> KeyLimiter {
        let owner = self.register();
        match owner.members.get_or_insert_with(key, || {
            let member = RateLimiter::new(owner.overflow.config);
            // Shared between processes under "{name}/{key}" when a store is installed.
            member.attach_member(key);
            (Box::from(key), member)
        }) {
            Some(member) => KeyLimiter {
                member: Some(member),
                overflow: &owner.overflow,
            },
            None => KeyLimiter {
                member: None,
                overflow: &owner.overflow,
            },
        }
    }

    /// Calls that found the family full and were paced by the overflow limiter.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::rate_limit::{RateLimiter, RateLimiters};
    /// let family = RateLimiters::new(RateLimiter::builder().requests(1).settings()?, NonZeroUsize::MIN);
    /// assert_eq!(family.overflowed(), 0);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub fn overflowed(&self) -> u64 {
        self.members.refused()
    }

    /// Registers the family in the [`registry`](crate::registry) under its name, the
    /// first time only, and returns the family that name stands for (the first one
    /// registered with it: functions that give the same `name` share each key's quota).
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, registry, ConfigError};
    /// # const S: resilience_core::rate_limit::Settings =
    /// #     ConfigError::unwrap_const(RateLimiter::builder().name("docs::models").requests(3).settings());
    /// static A: RateLimiters = RateLimiters::new(S, NonZeroUsize::MIN);
    /// static B: RateLimiters = RateLimiters::new(S, NonZeroUsize::MIN);
    /// assert!(std::ptr::eq(A.register(), &A));
    /// assert!(std::ptr::eq(B.register(), &A)); // B's calls use A's limiters
    /// assert!(registry::find("rate_limit", "docs::models").is_some());
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
        self.shared.get_or_init(|| {
            crate::registry::adopt(self, |a, b| {
                a.overflow.config == b.overflow.config && a.max_keys() == b.max_keys()
            })
        })
    }
}

/// A limiter may leave its family when it is full again: nobody waits and both buckets
/// hold their whole burst, so a new one in its place would admit exactly the same calls.
impl Evict for RateLimiter {
    fn may_evict(&self) -> bool {
        let now = clock::now_nanos();
        self.waitlist.len() == 0 && self.requests.tat() <= now && self.tokens.tat() <= now
    }
}

/// The limiter of one key, held for the call: its family cannot evict it meanwhile.
/// Dereferences to the [`RateLimiter`].
///
/// ```
/// # use std::num::NonZeroUsize;
/// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
/// static HOSTS: RateLimiters = RateLimiters::new(
///     ConfigError::unwrap_const(RateLimiter::builder().requests(5).settings()),
///     NonZeroUsize::new(8).unwrap(),
/// );
/// let limiter = HOSTS.for_key("eu.api.example");
/// assert_eq!(limiter.key(), Some("eu.api.example"));
/// assert_eq!(limiter.left().requests, Some(5));
/// ```
pub struct KeyLimiter {
    member: Option<Member<'static, Box<str>, RateLimiter>>,
    overflow: &'static RateLimiter,
}

impl KeyLimiter {
    /// Whether the key has a limiter of its own (`false`: it found the family full and
    /// shares the overflow limiter).
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
    /// # static F: RateLimiters = RateLimiters::new(ConfigError::unwrap_const(RateLimiter::builder().requests(5).settings()), NonZeroUsize::MIN);
    /// assert!(F.for_key("x").is_own());
    /// ```
    pub fn is_own(&self) -> bool {
        self.member.is_some()
    }

    /// The key, when it has a limiter of its own.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
    /// # static F: RateLimiters = RateLimiters::new(ConfigError::unwrap_const(RateLimiter::builder().requests(5).settings()), NonZeroUsize::MIN);
    /// assert_eq!(F.for_key("x").key(), Some("x"));
    /// ```
    pub fn key(&self) -> Option<&str> {
        self.member.as_ref().map(|member| &**member.key())
    }

    /// The limiter and, for the layer to hold as long as it uses it, the pin that keeps
    /// it the key's.
    ///
    /// # Safety
    ///
    /// The returned reference must not be used once the returned pin is dropped: the
    /// family may then give the limiter's memory to another key.
    pub(crate) unsafe fn split(self) -> (&'static RateLimiter, KeyPin) {
        let limiter: &'static RateLimiter = match &self.member {
            // SAFETY: the family is `'static` and never frees a member's memory; the pin,
            // returned with it, keeps the memory this key's for as long as it is held.
            Some(member) => unsafe { &*(&**member as *const RateLimiter) },
            None => self.overflow,
        };
        (limiter, KeyPin(self.member))
    }
}

impl LimiterRef<'static> for KeyLimiter {
    type Pin = KeyPin;

    #[inline]
    unsafe fn split(self) -> (&'static RateLimiter, KeyPin) {
        // SAFETY: passed on to our caller.
        unsafe { KeyLimiter::split(self) }
    }
}

impl core::ops::Deref for KeyLimiter {
    type Target = RateLimiter;

    #[inline]
    fn deref(&self) -> &RateLimiter {
        match &self.member {
            Some(member) => member,
            None => self.overflow,
        }
    }
}

impl fmt::Debug for KeyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLimiter")
            .field("key", &self.key())
            .field("limiter", &**self)
            .finish()
    }
}

/// What keeps a keyed limiter its key's while a [`RateLimitStack`](super::RateLimitStack)
/// uses it (nothing for a limiter that is not keyed).
///
/// ```
/// # use std::num::NonZeroUsize;
/// # use resilience_core::{pipeline::pipeline, rate_limit::{NoUsage, RateLimited, RateLimiter, RateLimiters}, ConfigError};
/// # #[derive(Debug)] struct E; impl From<RateLimited> for E { fn from(_: RateLimited) -> Self { E } }
/// static MODELS: RateLimiters = RateLimiters::new(
///     ConfigError::unwrap_const(RateLimiter::builder().requests(1).settings()),
///     NonZeroUsize::MIN,
/// );
/// let mut p = pipeline::<Result<u8, E>>().rate_limit(MODELS.for_key("gpt-4"), 0_u64, NoUsage).build();
/// assert_eq!(p.run_blocking(|_| Ok(1)).unwrap(), 1);
/// assert_eq!(MODELS.for_key("gpt-4").left().requests, Some(0));
/// ```
pub struct KeyPin(#[allow(dead_code)] Option<Member<'static, Box<str>, RateLimiter>>);

impl Protection for RateLimiters {
    fn kind(&self) -> &'static str {
        "rate_limit"
    }

    fn name(&self) -> &str {
        RateLimiters::name(self)
    }

    /// `keys` and `max_keys`, `overflowed` (calls paced by the overflow limiter), and
    /// `members`: each key's limiter status (see [`RateLimiter`]'s), sorted by key.
    ///
    /// ```
    /// # use std::num::NonZeroUsize;
    /// use resilience_core::registry::{Protection, Value};
    /// # use resilience_core::{rate_limit::{RateLimiter, RateLimiters}, ConfigError};
    /// static MODELS: RateLimiters = RateLimiters::new(
    ///     ConfigError::unwrap_const(RateLimiter::builder().requests(3).settings()),
    ///     NonZeroUsize::new(8).unwrap(),
    /// );
    /// MODELS.for_key("gpt-4").try_acquire(0).unwrap();
    /// let status = MODELS.status();
    /// assert_eq!(status.get("keys"), Some(&Value::Count(1)));
    /// let Some(Value::Members(members)) = status.get("members") else { panic!() };
    /// assert_eq!(members[0].0, "gpt-4");
    /// assert_eq!(members[0].1.get("requests_left"), Some(&Value::Count(2)));
    /// ```
    fn status(&self) -> Status {
        let mut members = Vec::new();
        self.members
            .for_each(|key, limiter| members.push((key.to_string(), limiter.status())));
        members.sort_by(|a, b| a.0.cmp(&b.0));
        Status::new()
            .with("keys", Value::Count(members.len() as u64))
            .with("max_keys", Value::Count(self.max_keys() as u64))
            .with("overflowed", Value::Count(self.overflowed()))
            .with("members", Value::Members(members))
    }
}

impl fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiters")
            .field("name", &self.name())
            .field("keys", &self.members.len())
            .field("max_keys", &self.max_keys())
            .finish()
    }
}
