//! The error a [`Timeout`](super::Timeout) returns when its deadline passes.

use core::time::Duration;
use tokio::time::Instant;

/// The deadline of a [`timeout`](super::timeout) passed before the inner future finished.
///
/// Carries the facts a caller or a log line needs: how long the call was allowed
/// ([`after`](Self::after)) and the instant it was cut off ([`deadline`](Self::deadline), on
/// tokio's clock). By the time you see this error the inner future has already been dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience_core::timeout::{timeout, TimedOut};
///
/// let err: TimedOut = timeout(Duration::from_secs(10), std::future::pending::<()>())
///     .await
///     .unwrap_err();
/// assert_eq!(err.after(), Duration::from_secs(10));
/// assert_eq!(err.to_string(), "timed out after 10s");
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("timed out after {after:?}")]
pub struct TimedOut {
    after: Duration,
    deadline: Instant,
}

impl TimedOut {
    /// A timeout of `after` that passed at `deadline`.
    ///
    /// [`Timeout`](super::Timeout) builds these; the constructor is public so that code mapping
    /// `TimedOut` into its own error type can be tested without waiting for a real timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::timeout::TimedOut;
    /// use tokio::time::Instant;
    ///
    /// let at = Instant::now();
    /// let err = TimedOut::new(Duration::from_millis(250), at);
    /// assert_eq!(err.to_string(), "timed out after 250ms");
    /// assert_eq!(err.deadline(), at);
    /// ```
    pub const fn new(after: Duration, deadline: Instant) -> Self {
        Self { after, deadline }
    }

    /// How long the call was allowed to run.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::timeout::TimedOut;
    /// let err = TimedOut::new(Duration::from_secs(3), tokio::time::Instant::now());
    /// assert_eq!(err.after(), Duration::from_secs(3));
    /// ```
    pub const fn after(&self) -> Duration {
        self.after
    }

    /// The instant (on tokio's clock) at which the call was cut off.
    ///
    /// For [`timeout`](super::timeout) this is its first poll plus
    /// [`after`](Self::after); for [`timeout_at`](super::timeout_at) it is the deadline given.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use resilience_core::timeout::timeout_at;
    /// use tokio::time::Instant;
    ///
    /// let deadline = Instant::now() + Duration::from_secs(2);
    /// let err = timeout_at(deadline, Duration::from_secs(2), std::future::pending::<()>())
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.deadline(), deadline);
    /// # }
    /// ```
    pub const fn deadline(&self) -> Instant {
        self.deadline
    }
}

/// `TimedOut { after: 10s, deadline: 1.2s ago }`: the deadline as how long ago it passed
/// (an `Instant`'s own `Debug` is a raw clock reading nobody can read), measured when
/// printed.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience_core::timeout::TimedOut;
///
/// let err = TimedOut::new(Duration::from_secs(10), tokio::time::Instant::now());
/// tokio::time::advance(Duration::from_millis(1500)).await;
/// assert_eq!(format!("{err:?}"), "TimedOut { after: 10s, deadline: 1.5s ago }");
/// # }
/// ```
impl core::fmt::Debug for TimedOut {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let now = Instant::now();
        let deadline = if now >= self.deadline {
            format!("{} ago", crate::human::duration(now - self.deadline))
        } else {
            format!("in {}", crate::human::duration(self.deadline - now))
        };
        f.debug_struct("TimedOut")
            .field("after", &self.after)
            .field("deadline", &format_args!("{deadline}"))
            .finish()
    }
}
