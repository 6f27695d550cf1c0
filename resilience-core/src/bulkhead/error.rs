//! The error a call gets instead of running when a bulkhead is full.

use core::fmt;
use std::time::Duration;

/// A call refused by a [`Bulkhead`](super::Bulkhead): every permit was held and the
/// queue was full, or the call waited in the queue for `max_wait` without getting one.
///
/// A bulkhead cannot tell when a permit will be free, so the error carries no delay: a
/// `#[retry]` above uses its own backoff. The attribute macros return it as
/// `E::from(BulkheadFull)`.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::bulkhead::BulkheadFull;
///
/// let err = BulkheadFull::new("db", 10, Duration::ZERO);
/// assert_eq!(err.name(), "db");
/// assert_eq!(err.to_string(), "bulkhead `db` is full: all 10 permits are in use");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BulkheadFull {
    name: &'static str,
    max: u32,
    waited: Duration,
}

impl BulkheadFull {
    /// The error for the bulkhead `name` of `max` permits, refusing a call that waited
    /// `waited` in its queue (zero: refused at once).
    ///
    /// Mostly useful to build expected values in tests and in `From` impls; bulkheads
    /// create their own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::bulkhead::BulkheadFull;
    ///
    /// let err = BulkheadFull::new("db", 4, Duration::from_secs(2));
    /// assert_eq!(err.waited(), Duration::from_secs(2));
    /// ```
    pub const fn new(name: &'static str, max: u32, waited: Duration) -> Self {
        BulkheadFull { name, max, waited }
    }

    /// The name of the bulkhead that refused the call.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::bulkhead::BulkheadFull;
    /// assert_eq!(BulkheadFull::new("db", 1, Duration::ZERO).name(), "db");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How many calls the bulkhead lets run at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::bulkhead::BulkheadFull;
    /// assert_eq!(BulkheadFull::new("db", 3, Duration::ZERO).max(), 3);
    /// ```
    pub const fn max(&self) -> u32 {
        self.max
    }

    /// How long the call waited in the queue before it was refused; zero when it was
    /// refused at once.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::bulkhead::BulkheadFull;
    /// assert_eq!(BulkheadFull::new("db", 3, Duration::ZERO).waited(), Duration::ZERO);
    /// ```
    pub const fn waited(&self) -> Duration {
        self.waited
    }
}

impl fmt::Display for BulkheadFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bulkhead `{}` is full: all {} permits are in use",
            self.name, self.max
        )?;
        if !self.waited.is_zero() {
            write!(f, " after waiting {}", crate::human::duration(self.waited))?;
        }
        Ok(())
    }
}

impl std::error::Error for BulkheadFull {}

/// Lets I/O code put a bulkhead in front of calls that return [`std::io::Error`]: the
/// refusal becomes an error of kind [`Other`](std::io::ErrorKind::Other) whose source is
/// the [`BulkheadFull`].
///
/// ```
/// use std::{io, time::Duration};
/// use resilience_core::bulkhead::BulkheadFull;
///
/// let err = io::Error::from(BulkheadFull::new("disk", 2, Duration::ZERO));
/// assert_eq!(err.kind(), io::ErrorKind::Other);
/// ```
impl From<BulkheadFull> for std::io::Error {
    fn from(full: BulkheadFull) -> Self {
        std::io::Error::other(full)
    }
}
