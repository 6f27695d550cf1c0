//! [`NamedBulkhead`]: `#[bulkhead(policy = "name", ...)]`'s bulkhead, made from the
//! file's `[name.bulkhead]` over the attribute's literals.

use std::sync::{Mutex, PoisonError, RwLock};

use super::parse::BulkheadFile;
use super::site::{Resolved, cached, last};
use crate::ConfigError;
use crate::bulkhead::{Bulkhead, BulkheadBuilder};

/// The bulkhead of a function whose `#[bulkhead]` names a policy.
///
/// Without a file (or a `[name.bulkhead]` table) the literal bulkhead serves, the one the
/// attribute's keys build, checked at compile time. With one, a bulkhead built from the
/// file's settings over the literals does. A reload whose `[name.bulkhead]` is the same
/// keeps that bulkhead, its permits and its queue; one that changes it gives the next
/// calls a new, empty bulkhead, while the calls running or queued in the old one finish
/// there (for that moment the two together may run more than either's `max`).
///
/// ```rust,standalone_crate
/// use resilience_core::{bulkhead::Bulkhead, named::{self, NamedBulkhead}};
///
/// static SITE: NamedBulkhead = NamedBulkhead::new("doc_pool", Bulkhead::builder().name("doc_pool").max(2));
/// assert_eq!(SITE.get().max(), 2);
/// named::load_str("app.toml", "[doc_pool.bulkhead]\nmax = 8\nqueue = 16\n")?;
/// assert_eq!((SITE.get().max(), SITE.get().queue()), (8, 16));
/// assert!(std::ptr::eq(SITE.get(), SITE.get()), "the same bulkhead until the file changes");
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedBulkhead {
    name: &'static str,
    builder: BulkheadBuilder,
    literal: Bulkhead,
    cache: RwLock<Option<Resolved<&'static Bulkhead>>>,
    /// The bulkhead made from the file's table last, to keep across reloads that do not
    /// change that table.
    made: Mutex<Option<(BulkheadFile, &'static Bulkhead)>>,
}

impl NamedBulkhead {
    /// The site of a function whose attribute names `name` and writes the settings of
    /// `builder`. In a `static`, settings that the builder refuses stop compilation.
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, named::NamedBulkhead};
    ///
    /// static SITE: NamedBulkhead = NamedBulkhead::new("llm", Bulkhead::builder().max(4));
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, builder: BulkheadBuilder) -> Self {
        NamedBulkhead {
            name,
            builder,
            literal: Bulkhead::new(ConfigError::unwrap_const(builder.settings())),
            cache: RwLock::new(None),
            made: Mutex::new(None),
        }
    }

    /// The bulkhead for the next call.
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, named::NamedBulkhead};
    ///
    /// static SITE: NamedBulkhead = NamedBulkhead::new("not_in_any_file", Bulkhead::builder().max(3));
    /// assert_eq!(SITE.get().max(), 3);
    /// ```
    pub fn get(&'static self) -> &'static Bulkhead {
        cached(&self.cache, self.name, "bulkhead", |policy| {
            match policy.and_then(|policy| policy.bulkhead) {
                None => &self.literal,
                Some(file) => self.made_from(file),
            }
        })
    }

    /// The bulkhead the last call used: the literal one before any.
    pub(super) fn serving_now(&self) -> &Bulkhead {
        last(&self.cache).unwrap_or(&self.literal)
    }

    fn made_from(&'static self, file: BulkheadFile) -> &'static Bulkhead {
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((same, bulkhead)) = *made {
            if same == file {
                return bulkhead;
            }
        }
        let mut builder = self.builder;
        if let Some(n) = file.max {
            builder = builder.max(n);
        }
        if let Some(n) = file.queue {
            builder = builder.queue(n);
        }
        if let Some(d) = file.max_wait {
            builder = builder.max_wait(d);
        }
        match builder.build() {
            Ok(bulkhead) => {
                // Kept for the life of the process: calls in flight may still hold it.
                let bulkhead: &'static Bulkhead = Box::leak(Box::new(bulkhead));
                *made = Some((file, bulkhead));
                bulkhead
            }
            Err(error) => {
                tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's bulkhead settings do not fit this function's; its own apply");
                &self.literal
            }
        }
    }
}
