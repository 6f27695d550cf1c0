//! Configuration of a [`Bulkhead`], checked once in a `const fn`.

use std::time::Duration;

use super::{Bulkhead, Settings};
use crate::ConfigError;

/// Builds a [`Bulkhead`]; every setter and [`build`](Self::build) is a `const fn`, so a
/// bulkhead can live in a `static`.
///
/// | setting | meaning | default |
/// |---|---|---|
/// | [`name`](Self::name) | name in events, errors and the [`registry`](crate::registry) | `"bulkhead"` |
/// | [`max`](Self::max) | most calls at once | 10 |
/// | [`queue`](Self::queue) | most calls waiting for a permit; more are refused at once | 0 |
/// | [`max_wait`](Self::max_wait) | longest a call waits in the queue | no bound |
///
/// ```
/// use std::time::Duration;
/// use resilience_core::bulkhead::Bulkhead;
///
/// static EMBEDDINGS: Bulkhead = Bulkhead::new(resilience_core::ConfigError::unwrap_const(
///     Bulkhead::builder()
///         .name("embeddings")
///         .max(8)
///         .queue(32)
///         .max_wait(Duration::from_secs(5))
///         .settings(),
/// ));
///
/// assert_eq!(EMBEDDINGS.max(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct BulkheadBuilder {
    name: &'static str,
    max: u32,
    queue: u32,
    max_wait: Option<Duration>,
}

impl Default for BulkheadBuilder {
    /// Same as [`Bulkhead::builder`].
    fn default() -> Self {
        Self::new()
    }
}

impl BulkheadBuilder {
    /// A builder with the defaults listed on [`BulkheadBuilder`].
    ///
    /// ```
    /// use resilience_core::bulkhead::BulkheadBuilder;
    ///
    /// assert_eq!(BulkheadBuilder::new().build()?.max(), 10);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn new() -> Self {
        BulkheadBuilder {
            name: "bulkhead",
            max: 10,
            queue: 0,
            max_wait: None,
        }
    }

    /// The bulkhead's name in events, in [`BulkheadFull`](super::BulkheadFull) and in
    /// the [`registry`](crate::registry). Must not be empty.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().name("db").build()?.name(), "db");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Most calls at once (at least 1).
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().max(3).build()?.max(), 3);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max(mut self, max: u32) -> Self {
        self.max = max;
        self
    }

    /// Most calls waiting for a permit; a call that finds the queue full is refused at
    /// once. Zero (the default): no call waits.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// assert_eq!(Bulkhead::builder().queue(100).build()?.queue(), 100);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn queue(mut self, queue: u32) -> Self {
        self.queue = queue;
        self
    }

    /// The longest a call waits in the queue before it is refused. Default: no bound
    /// (put a `#[timeout]` above to bound the whole call).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::bulkhead::Bulkhead;
    /// let bulkhead = Bulkhead::builder().queue(1).max_wait(Duration::from_secs(2)).build()?;
    /// assert_eq!(bulkhead.max_wait(), Some(Duration::from_secs(2)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    /// Checks the settings and builds the bulkhead.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an empty name or `max` of zero.
    ///
    /// ```
    /// use resilience_core::bulkhead::Bulkhead;
    ///
    /// let err = Bulkhead::builder().max(0).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `max`: must be at least 1");
    /// ```
    #[cfg(not(loom))]
    pub const fn build(self) -> Result<Bulkhead, ConfigError> {
        match self.settings() {
            Ok(settings) => Ok(Bulkhead::new(settings)),
            Err(err) => Err(err),
        }
    }

    /// The same checks as the `const` `build` of a normal build; under `cfg(loom)` the
    /// bulkhead's atomics are loom's, which have no `const fn new`.
    ///
    /// # Errors
    ///
    /// As `build`.
    #[cfg(loom)]
    pub fn build(self) -> Result<Bulkhead, ConfigError> {
        self.settings().map(Bulkhead::new)
    }

    /// Checks the settings without building the bulkhead: what a `static` bulkhead is
    /// built from (a bulkhead holds a lock, so a `Result` of one cannot be unwrapped in
    /// a `const`; its [`Settings`] can).
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, ConfigError};
    ///
    /// static POOL: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(Bulkhead::builder().max(2).settings()));
    /// assert_eq!(POOL.max(), 2);
    /// ```
    pub const fn settings(self) -> Result<Settings, ConfigError> {
        if self.name.is_empty() {
            return Err(ConfigError::new("name", "must not be empty"));
        }
        if self.max == 0 {
            return Err(ConfigError::new("max", "must be at least 1"));
        }
        Ok(Settings {
            name: self.name,
            max: self.max,
            queue: self.queue,
            max_wait: self.max_wait,
        })
    }
}
