//! [`NamedLimiter`]: `#[rate_limit(policy = "name", ...)]`'s limiter, made from the
//! file's `[name.rate_limit]` over the attribute's literals.

use std::sync::{Mutex, PoisonError, RwLock};

use super::parse::RateLimitFile;
use super::site::{Resolved, cached, last};
use crate::ConfigError;
use crate::rate_limit::{RateLimiter, RateLimiterBuilder};

/// The limiter of a function whose `#[rate_limit]` names a policy.
///
/// Without a file (or a `[name.rate_limit]` table) the literal limiter serves, the one
/// the attribute's keys build, checked at compile time. With one, a limiter built from
/// the file's settings over the literals does. A reload whose `[name.rate_limit]` is the
/// same keeps that limiter and what it has counted; one that changes it gives the next
/// calls a new, full limiter (a limiter's rates are fixed when it is made), and calls
/// waiting in the old one finish there.
///
/// With a fleet-wide store installed ([`shared::install`](crate::rate_limit::shared::install),
/// what `resilience-redis` does), each of these limiters counts against the fleet under
/// its name, as `#[rate_limit]`'s does.
///
/// A file's `tokens` for a function whose attribute counts no tokens (no `tokens`,
/// hence no `cost` or `usage`) holds nothing back, and says so in a warning event.
///
/// The file's `burst` is the burst of `requests`, or of `tokens` when neither the file
/// nor the literals limit requests, as the attribute's `burst` is.
///
/// ```rust,standalone_crate
/// use resilience_core::{named::{self, NamedLimiter}, rate_limit::RateLimiter};
///
/// static SITE: NamedLimiter = NamedLimiter::new("doc_limit", RateLimiter::builder().name("doc_limit").requests(3));
/// assert_eq!(SITE.get().requests(), Some(3));
/// named::load_str("app.toml", "[doc_limit.rate_limit]\nrequests = 5\nper = \"1s\"\n")?;
/// assert_eq!((SITE.get().requests(), SITE.get().per().as_millis()), (Some(5), 1000));
/// assert!(std::ptr::eq(SITE.get(), SITE.get()), "the same limiter until the file changes");
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedLimiter {
    name: &'static str,
    builder: RateLimiterBuilder,
    literal: RateLimiter,
    cache: RwLock<Option<Resolved<&'static RateLimiter>>>,
    /// The limiter made from the file's table last, to keep across reloads that do not
    /// change that table.
    made: Mutex<Option<(RateLimitFile, &'static RateLimiter)>>,
}

impl NamedLimiter {
    /// The site of a function whose attribute names `name` and writes the settings of
    /// `builder`. In a `static`, settings that the builder refuses stop compilation.
    ///
    /// ```
    /// use resilience_core::{named::NamedLimiter, rate_limit::RateLimiter};
    ///
    /// static SITE: NamedLimiter = NamedLimiter::new("llm", RateLimiter::builder().requests(60));
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, builder: RateLimiterBuilder) -> Self {
        NamedLimiter {
            name,
            builder,
            literal: RateLimiter::new(ConfigError::unwrap_const(builder.settings())),
            cache: RwLock::new(None),
            made: Mutex::new(None),
        }
    }

    /// The limiter for the next call.
    ///
    /// ```
    /// use resilience_core::{named::NamedLimiter, rate_limit::RateLimiter};
    ///
    /// static SITE: NamedLimiter = NamedLimiter::new("not_in_any_file", RateLimiter::builder().requests(4));
    /// assert_eq!(SITE.get().requests(), Some(4));
    /// ```
    pub fn get(&'static self) -> &'static RateLimiter {
        cached(&self.cache, self.name, "rate_limit", |policy| {
            let limiter = match policy.and_then(|policy| policy.rate_limit) {
                None => &self.literal,
                Some(file) => self.made_from(file),
            };
            // Shared through a fleet-wide store under its name, as `#[rate_limit]`'s is.
            limiter.share_unlisted()
        })
    }

    /// The limiter the last call used: the literal one before any.
    pub(super) fn serving_now(&self) -> &RateLimiter {
        last(&self.cache).unwrap_or(&self.literal)
    }

    fn made_from(&'static self, file: RateLimitFile) -> &'static RateLimiter {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((same, limiter)) = *made {
            if same == file {
                return limiter;
            }
        }
        let mut builder = self.builder;
        if let Some(n) = file.requests {
            builder = builder.requests(n);
        }
        if let Some(n) = file.tokens {
            if self.literal.tokens().is_none() {
                // The attribute has no `cost` or `usage` (it needs `tokens` for those):
                // every call takes 0 tokens, so this limit would hold nothing back.
                tracing::warn!(target: "resilience", policy = self.name, "the configuration file's `tokens` limit holds nothing back here: this function's `#[rate_limit]` counts no tokens (no `cost`, no `usage`)");
            }
            builder = builder.tokens(n);
        }
        if let Some(d) = file.per {
            builder = builder.per(d);
        }
        if let Some(n) = file.burst {
            if file.requests.is_some() || self.literal.requests().is_some() {
                builder = builder.request_burst(n);
            } else {
                builder = builder.token_burst(n);
            }
        }
        if let Some(d) = file.max_wait {
            builder = builder.max_wait(d);
        }
        match builder.build() {
            Ok(limiter) => {
                // Kept for the life of the process: calls in flight may still hold it.
                let limiter: &'static RateLimiter = Box::leak(Box::new(limiter));
                *made = Some((file, limiter));
                limiter
            }
            Err(error) => {
                tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's rate_limit settings do not fit this function's; its own apply");
                &self.literal
            }
        }
    }
}
