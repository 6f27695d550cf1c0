//! A named site in the registry: its entry answers the breaker, limiter or bulkhead its
//! function's last call used (the literal one before the first call, or after a load
//! until the next call resolves the name again).

use core::any::Any;

use super::{NamedBreaker, NamedBulkhead, NamedLimiter};
use crate::registry::{Protection, Status};

/// `Protection` for a named site whose `serving_now` gives the instance its calls use
/// (its kind and name are those of every instance it makes).
macro_rules! serving_protection {
    ($site:ty) => {
        impl Protection for $site {
            fn kind(&self) -> &'static str {
                self.serving_now().kind()
            }

            fn name(&self) -> &str {
                self.serving_now().name()
            }

            /// The status of the instance serving calls now.
            fn status(&self) -> Status {
                self.serving_now().status()
            }

            fn serving(&'static self) -> Option<&'static dyn Any> {
                Some(self.serving_now())
            }
        }
    };
}

serving_protection!(NamedBreaker);
serving_protection!(NamedLimiter);
serving_protection!(NamedBulkhead);
