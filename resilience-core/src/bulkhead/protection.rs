//! A bulkhead as a [`Protection`]: what the registry lists for status pages.

use super::Bulkhead;
use crate::registry::{Protection, Status, Value};

impl Protection for Bulkhead {
    fn kind(&self) -> &'static str {
        "bulkhead"
    }

    fn name(&self) -> &str {
        Bulkhead::name(self)
    }

    /// `in_use` and `queued` now, `max`, then `waited` and `rejected` (since it was
    /// created).
    ///
    /// ```
    /// use resilience_core::{bulkhead::Bulkhead, registry::{Protection, Value}};
    ///
    /// let bulkhead = Bulkhead::builder().max(3).build()?;
    /// let _permit = bulkhead.try_acquire()?;
    /// let status = bulkhead.status();
    /// assert_eq!(status.get("in_use"), Some(&Value::Count(1)));
    /// assert_eq!(status.get("queued"), Some(&Value::Count(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn status(&self) -> Status {
        let stats = self.stats();
        Status::new()
            .with("in_use", Value::Count(u64::from(self.in_use())))
            .with("queued", Value::Count(self.queued() as u64))
            .with("max", Value::Count(u64::from(self.max())))
            .with("waited", Value::Count(stats.waited))
            .with("rejected", Value::Count(stats.rejected))
    }
}
