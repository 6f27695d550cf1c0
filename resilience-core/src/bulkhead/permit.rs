//! The right to run one call in a bulkhead, given back when dropped.

use core::fmt;

use super::Bulkhead;

/// One of a [`Bulkhead`]'s `max` slots, held by a running call.
///
/// Dropping it frees the slot and wakes the call at the front of the queue: when the
/// call finishes, when its future is dropped, and when it panics (the permit is dropped
/// while unwinding). There is no other way to give it back, so a slot cannot leak.
///
/// ```
/// use resilience_core::bulkhead::Bulkhead;
///
/// let bulkhead = Bulkhead::builder().max(1).build()?;
/// let result = std::panic::catch_unwind(|| {
///     let _permit = bulkhead.try_acquire().unwrap();
///     panic!("the call blew up");
/// });
/// assert!(result.is_err());
/// assert_eq!(bulkhead.in_use(), 0);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[must_use = "the permit is released as soon as it is dropped"]
pub struct Permit<'a> {
    bulkhead: &'a Bulkhead,
}

impl<'a> Permit<'a> {
    pub(super) const fn new(bulkhead: &'a Bulkhead) -> Self {
        Permit { bulkhead }
    }

    /// The bulkhead this permit belongs to.
    ///
    /// ```
    /// # use resilience_core::bulkhead::Bulkhead;
    /// let bulkhead = Bulkhead::builder().name("db").build()?;
    /// assert_eq!(bulkhead.try_acquire()?.bulkhead().name(), "db");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bulkhead(&self) -> &'a Bulkhead {
        self.bulkhead
    }
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.bulkhead.release();
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("bulkhead", &self.bulkhead.name())
            .finish()
    }
}
