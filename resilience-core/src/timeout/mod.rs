//! A deadline around one call.
//!
//! [`timeout`] wraps a future so that it resolves to `Err(`[`TimedOut`]`)` when it runs longer
//! than allowed; the inner future is dropped at that moment (so an HTTP request in flight is
//! cancelled, not left running). This is what `#[timeout(10s)]` expands into.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use resilience_core::timeout::timeout;
//!
//! let slow = async {
//!     tokio::time::sleep(Duration::from_secs(30)).await; // the LLM API hangs
//!     "answer"
//! };
//! let err = timeout(Duration::from_secs(10), slow).await.unwrap_err();
//! assert_eq!(err.to_string(), "timed out after 10s");
//! # }
//! ```
//!
//! # When the deadline starts
//!
//! [`tokio::time::timeout`] reads the clock when the `Timeout` is *created*; this one
//! reads it when the `Timeout` is *first polled*, which for `.await` is the same
//! instant. Synchronous work the inner future does before its first `.await` counts
//! against the deadline either way. The difference is for a `Timeout` built, then
//! stored or queued behind other work before its first poll: it still gives the call
//! its full `after`. Use [`timeout_at`] for a fixed deadline instead (one shared by
//! several calls, or computed before queueing). `#[timeout]` fixes its deadline when
//! the covered call starts ([`TimeoutLayer`]).
//!
//! The timer itself is built only if the inner future returns `Pending`: a call that
//! is ready at its first poll (a cached answer, an early `?`) never touches the timer
//! wheel.
//!
//! Other choices, all the same as tokio's:
//! - The inner future is polled before the timer, so an output that is ready at the instant
//!   of the deadline wins.
//! - A deadline that does not fit in an [`Instant`] (e.g.
//!   `Duration::MAX`) means "never time out".
//! - The timer is tokio's [`Sleep`](tokio::time::Sleep), so a paused test clock
//!   (`#[tokio::test(start_paused = true)]`) makes timeouts exact and instant; like every tokio
//!   timer, it needs a runtime with the time driver enabled once the inner future is pending.
//!
//! The timer is stored inline in the [`Timeout`] (pinned with `pin-project-lite`, no `Box`):
//! a `Timeout` never allocates. When it fires, a `warn` event (target `resilience`, field
//! `after`) is emitted.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use resilience_core::timeout::timeout;
//! use tokio::time::Instant;
//!
//! let call = timeout(Duration::from_secs(10), std::future::pending::<()>());
//! tokio::time::sleep(Duration::from_secs(3)).await; // built, but not polled yet
//! let polled = Instant::now();
//! let err = call.await.unwrap_err();
//! assert_eq!(err.deadline(), polled + Duration::from_secs(10)); // tokio's: 7s from here
//! # }
//! ```

mod error;
mod future;
mod layer;

pub use error::TimedOut;
pub use future::Timeout;
pub use layer::{Deadline, FromTimedOut, TimeoutLayer, TimeoutStack};

use core::future::Future;
use core::time::Duration;
use tokio::time::Instant;

/// Runs `fut` with a deadline `after` its first poll.
///
/// Resolves to `Ok(output)` if `fut` finishes in time, else to `Err(TimedOut)` once the deadline
/// passes, after dropping `fut`. Builds no timer if `fut` is ready at its first poll (see the
/// [module docs](self) for how this differs from [`tokio::time::timeout`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience_core::timeout::timeout;
///
/// let fast = timeout(Duration::from_secs(1), async { Ok::<_, ()>("cached") }).await;
/// assert_eq!(fast, Ok(Ok("cached")));
///
/// let hang = timeout(Duration::from_secs(1), std::future::pending::<()>()).await;
/// assert_eq!(hang.unwrap_err().after(), Duration::from_secs(1));
/// # }
/// ```
pub const fn timeout<F: Future>(after: Duration, fut: F) -> Timeout<F> {
    Timeout::new(after, fut)
}

/// Runs `fut` until a known `deadline` (on tokio's clock).
///
/// `after` is only reported: it is what [`TimedOut::after`] returns and what the `warn` event
/// shows, so pass the budget the deadline was computed from. As with [`timeout`], no timer is
/// built if `fut` is ready at its first poll, and an already-passed deadline still lets a ready
/// `fut` through.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use resilience_core::timeout::timeout_at;
/// use tokio::time::{sleep, Instant};
///
/// // One deadline shared by two calls: 5s in total.
/// let budget = Duration::from_secs(5);
/// let deadline = Instant::now() + budget;
/// let first = timeout_at(deadline, budget, sleep(Duration::from_secs(3))).await;
/// assert!(first.is_ok());
/// let second = timeout_at(deadline, budget, sleep(Duration::from_secs(3))).await;
/// assert_eq!(second.unwrap_err().deadline(), deadline);
/// # }
/// ```
pub const fn timeout_at<F: Future>(deadline: Instant, after: Duration, fut: F) -> Timeout<F> {
    Timeout::new_at(deadline, after, fut)
}
