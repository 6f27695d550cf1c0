//! [`NamedBreaker`]: `#[circuit(policy = "name", ...)]`'s breaker, made from the file's
//! `[name.circuit]` over the attribute's literals.

use std::sync::{Mutex, PoisonError, RwLock};

use super::parse::CircuitFile;
use super::site::{Resolved, cached, last};
use crate::CircuitBreaker;
use crate::circuit::CircuitBreakerBuilder;

/// The breaker of a function whose `#[circuit]` names a policy.
///
/// Without a file (or a `[name.circuit]` table) the literal breaker serves, the one the
/// attribute's keys build, checked at compile time. With one, a breaker built from the
/// file's settings over the literals does. A reload whose `[name.circuit]` is the same
/// keeps that breaker, its state and counts; one that changes it gives the next calls a
/// new, closed breaker (a breaker's settings are fixed when it is made), and calls in
/// flight finish with the old one.
///
/// ```rust,standalone_crate
/// use std::time::Duration;
/// use resilience_core::{named::{self, NamedBreaker}, CircuitBreaker};
///
/// static SITE: NamedBreaker = NamedBreaker::new("doc_llm", CircuitBreaker::builder().name("doc_llm").threshold(3));
/// assert_eq!(SITE.get().threshold(), 3);
/// named::load_str("app.toml", "[doc_llm.circuit]\nthreshold = 5\nrecovery = \"1m\"\n")?;
/// assert_eq!(SITE.get().threshold(), 5);
/// assert!(std::ptr::eq(SITE.get(), SITE.get()), "the same breaker until the file changes");
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedBreaker {
    name: &'static str,
    builder: CircuitBreakerBuilder,
    literal: CircuitBreaker,
    cache: RwLock<Option<Resolved<&'static CircuitBreaker>>>,
    /// The breaker made from the file's table last, to keep across reloads that do not
    /// change that table.
    made: Mutex<Option<(CircuitFile, &'static CircuitBreaker)>>,
}

impl NamedBreaker {
    /// The site of a function whose attribute names `name` and writes the settings of
    /// `builder`. In a `static`, settings that `build` refuses stop compilation.
    ///
    /// ```
    /// use resilience_core::{named::NamedBreaker, CircuitBreaker};
    ///
    /// static SITE: NamedBreaker = NamedBreaker::new("llm", CircuitBreaker::builder().threshold(5));
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, builder: CircuitBreakerBuilder) -> Self {
        let literal = match builder.build() {
            Ok(breaker) => breaker,
            Err(error) => panic!("{}", error.reason()),
        };
        NamedBreaker {
            name,
            builder,
            literal,
            cache: RwLock::new(None),
            made: Mutex::new(None),
        }
    }

    /// The breaker for the next call.
    ///
    /// ```
    /// use resilience_core::{named::NamedBreaker, CircuitBreaker};
    ///
    /// static SITE: NamedBreaker = NamedBreaker::new("not_in_any_file", CircuitBreaker::builder().threshold(4));
    /// assert_eq!(SITE.get().threshold(), 4);
    /// ```
    pub fn get(&'static self) -> &'static CircuitBreaker {
        cached(&self.cache, self.name, "circuit", |policy| {
            match policy.and_then(|policy| policy.circuit) {
                None => &self.literal,
                Some(file) => self.made_from(file),
            }
        })
    }

    /// The breaker the last call used: the literal one before any.
    pub(super) fn serving_now(&self) -> &CircuitBreaker {
        last(&self.cache).unwrap_or(&self.literal)
    }

    fn made_from(&'static self, file: CircuitFile) -> &'static CircuitBreaker {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((same, breaker)) = *made {
            if same == file {
                return breaker;
            }
        }
        let mut builder = self.builder;
        if let Some(n) = file.threshold {
            builder = builder.threshold(n);
        }
        if let Some(d) = file.recovery {
            builder = builder.recovery(d);
        }
        if let Some(d) = file.recovery_max {
            builder = builder.recovery_max(d);
        }
        if let Some(n) = file.success_threshold {
            builder = builder.success_threshold(n);
        }
        if let Some(n) = file.probes {
            builder = builder.probes(n);
        }
        match builder.build() {
            Ok(breaker) => {
                // Kept for the life of the process: calls in flight may still hold it.
                let breaker: &'static CircuitBreaker = Box::leak(Box::new(breaker));
                *made = Some((file, breaker));
                breaker
            }
            Err(error) => {
                tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's circuit settings do not fit this function's; its own apply");
                &self.literal
            }
        }
    }
}
