//! [`NamedRetry`] and [`NamedTimeout`]: what an attribute with `policy = "name"` keeps in
//! a `static`, resolving the name once per load.

use core::time::Duration;
use std::sync::{PoisonError, RwLock};

use super::parse::{Policy, RetryFile};
use super::store;
use crate::backoff::BackoffBuilder;
use crate::retry::RetryPolicy;

/// What a site resolved, and at which generation.
pub(super) struct Resolved<T> {
    generation: u64,
    value: T,
}

/// Resolves `name` for a site: the cached value while nothing was loaded since, else
/// `resolve` again (warning once per name, pattern and load when the name or file is
/// missing).
pub(super) fn cached<T: Copy>(
    cache: &RwLock<Option<Resolved<T>>>,
    name: &str,
    what: &'static str,
    resolve: impl FnOnce(Option<Policy>) -> T,
) -> T {
    let generation = store::generation();
    if let Some(resolved) = &*cache.read().unwrap_or_else(PoisonError::into_inner) {
        if resolved.generation == generation {
            return resolved.value;
        }
    }
    let policy = match store::policy(name) {
        Ok(policy) => Some(policy),
        Err(file) => {
            if !store::first_warning(generation, name, what) {
                // Said already for this load, by another site naming it.
            } else if file.is_empty() {
                tracing::warn!(target: "resilience", policy = name, pattern = what, "no configuration file is loaded; the attribute's own settings apply");
            } else {
                tracing::warn!(target: "resilience", policy = name, pattern = what, file, "the configuration file has no such policy; the attribute's own settings apply");
            }
            None
        }
    };
    let value = resolve(policy);
    *cache.write().unwrap_or_else(PoisonError::into_inner) = Some(Resolved { generation, value });
    value
}

/// What a site resolved last, whatever was loaded since (for status pages, which must
/// not resolve names themselves).
pub(super) fn last<T: Copy>(cache: &RwLock<Option<Resolved<T>>>) -> Option<T> {
    cache
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(|resolved| resolved.value)
}

/// `#[retry(policy = "name", ...)]`: the named policy's `[name.retry]` over the
/// attribute's literals.
///
/// ```rust,standalone_crate
/// use resilience_core::named::{self, NamedRetry};
/// use resilience_core::retry::RetryPolicy;
///
/// static LITERAL: RetryPolicy = RetryPolicy::DEFAULT;
/// static SITE: NamedRetry = NamedRetry::new("doc_retry", &LITERAL);
/// assert_eq!(SITE.get().attempts(), 3); // nothing loaded: the literal
/// named::load_str("app.toml", "[doc_retry.retry]\nattempts = 5\n")?;
/// assert_eq!(SITE.get().attempts(), 5);
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedRetry {
    name: &'static str,
    literal: &'static RetryPolicy,
    cache: RwLock<Option<Resolved<&'static RetryPolicy>>>,
}

impl NamedRetry {
    /// The site of a function whose attribute names `name` and writes `literal`.
    ///
    /// ```
    /// # use resilience_core::{named::NamedRetry, retry::RetryPolicy};
    /// static SITE: NamedRetry = NamedRetry::new("llm", &RetryPolicy::DEFAULT);
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, literal: &'static RetryPolicy) -> Self {
        NamedRetry {
            name,
            literal,
            cache: RwLock::new(None),
        }
    }

    /// The policy for the next call: the file's settings over the literals.
    ///
    /// A file's settings that do not fit with the literals (a `base` over the literal
    /// `max`) are not applied: the literals are, with a warning event.
    ///
    /// ```
    /// # use resilience_core::{named::NamedRetry, retry::RetryPolicy};
    /// static SITE: NamedRetry = NamedRetry::new("unset_name", &RetryPolicy::DEFAULT);
    /// assert_eq!(SITE.get().attempts(), 3);
    /// ```
    pub fn get(&'static self) -> &'static RetryPolicy {
        cached(&self.cache, self.name, "retry", |policy| {
            match policy.and_then(|policy| policy.retry) {
                None => self.literal,
                Some(file) => match merge(self.literal, &file) {
                    Ok(policy) => {
                        static KEPT: Kept<RetryPolicy> = Kept::new();
                        KEPT.intern(policy)
                    }
                    Err(error) => {
                        tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's retry settings do not fit this function's; its own apply");
                        self.literal
                    }
                },
            }
        })
    }
}

/// The file's settings over `literal`.
fn merge(literal: &RetryPolicy, file: &RetryFile) -> Result<RetryPolicy, crate::ConfigError> {
    let backoff = literal.backoff();
    let backoff = BackoffBuilder::new(file.backoff.unwrap_or(backoff.kind()))
        .base(file.base.unwrap_or(backoff.base()))
        .factor(file.factor.unwrap_or(backoff.factor()))
        .max(file.max.unwrap_or(backoff.max()))
        .jitter(file.jitter.unwrap_or(backoff.jitter()))
        .build()?;
    let mut policy = RetryPolicy::builder()
        .attempts(file.attempts.unwrap_or(literal.attempts()))
        .backoff(backoff);
    if let Some(max_elapsed) = file.max_elapsed.or(literal.max_elapsed()) {
        policy = policy.max_elapsed(max_elapsed);
    }
    if let Some(seed) = literal.seed() {
        policy = policy.seed(seed);
    }
    policy.build()
}

/// Every policy a file made for one kind of site, kept for the life of the process so
/// a call in flight keeps the one it started with while the next calls use a newer one.
/// A reload that makes one already kept reuses it: what is kept is bounded by the
/// distinct settings ever loaded, not by the number of loads.
pub(super) struct Kept<T: 'static>(RwLock<Vec<&'static T>>);

impl<T: PartialEq> Kept<T> {
    pub(super) const fn new() -> Self {
        Kept(RwLock::new(Vec::new()))
    }

    /// The kept policy equal to `policy`, kept now if none is.
    pub(super) fn intern(&self, policy: T) -> &'static T {
        let mut kept = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(same) = kept.iter().find(|kept| ***kept == policy) {
            return same;
        }
        let leaked: &'static T = Box::leak(Box::new(policy));
        kept.push(leaked);
        leaked
    }
}

/// `#[timeout(DUR, policy = "name")]`: `[name.timeout] after` over the literal.
///
/// ```rust,standalone_crate
/// use std::time::Duration;
/// use resilience_core::named::{self, NamedTimeout};
///
/// static SITE: NamedTimeout = NamedTimeout::new("doc_timeout");
/// assert_eq!(SITE.get(Duration::from_secs(10)), Duration::from_secs(10));
/// named::load_str("app.toml", "[doc_timeout.timeout]\nafter = \"250ms\"\n")?;
/// assert_eq!(SITE.get(Duration::from_secs(10)), Duration::from_millis(250));
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedTimeout {
    name: &'static str,
    cache: RwLock<Option<Resolved<Option<Duration>>>>,
}

impl NamedTimeout {
    /// The site of a function whose attribute names `name`.
    ///
    /// ```
    /// static SITE: resilience_core::named::NamedTimeout = resilience_core::named::NamedTimeout::new("llm");
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str) -> Self {
        NamedTimeout {
            name,
            cache: RwLock::new(None),
        }
    }

    /// The deadline for the next call: the file's `after`, else `literal`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// static SITE: resilience_core::named::NamedTimeout = resilience_core::named::NamedTimeout::new("unset_name");
    /// assert_eq!(SITE.get(Duration::from_secs(3)), Duration::from_secs(3));
    /// ```
    pub fn get(&'static self, literal: Duration) -> Duration {
        let after = cached(&self.cache, self.name, "timeout", |policy| {
            policy
                .and_then(|policy| policy.timeout)
                .and_then(|timeout| timeout.after)
        });
        after.unwrap_or(literal)
    }
}
