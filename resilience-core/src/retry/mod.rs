//! Retrying a failed call: how many times, how long to wait, which errors, and when to stop.
//!
//! A [`RetryPolicy`] holds the settings (validated, `Copy`, `const`-constructible).
//! [`RetryState`] is the per-call state machine the attribute macros' pipeline steps
//! through; [`Retry`] runs an async or blocking operation under a policy for code that does
//! not use the macros. All three follow the same rules:
//!
//! - **`attempts` counts calls, not retries.** `attempts = 4` is one call plus up to three
//!   retries. (Several retry crates call a retry count "attempts"; four calls is what a reader
//!   of `attempts = 4` expects.)
//! - **The last error comes back unchanged.** No wrapper error: the caller matches on its own
//!   `E`, exactly as without retries.
//! - **Server delays win, within reason.** A 429 or 503 often says how long to wait
//!   (`Retry-After`). That delay replaces the backoff delay for that one retry; the schedule
//!   still advances, so the delay before retry n depends on n alone. A server delay longer
//!   than the backoff's `max` means the caller's patience is smaller than the server's
//!   estimate: stop at once and return the error rather than sleep for minutes.
//! - **`max_elapsed` bounds the whole call.** A delay that would end later than `max_elapsed`
//!   after the first attempt started is not taken, so the caller gets the last error as soon as
//!   waiting is pointless rather than after a sleep that cannot help.
//! - **The success path costs nothing extra.** A call that succeeds first time reads no
//!   clock (unless `max_elapsed` is set), draws no random number and builds no timer.
//! - **A fleet shares its retries.** With a [`RetryBudget`] (`#[retry(budget = ..)]`,
//!   [`Builder::budget`](crate::pipeline::Builder::budget)), retries may add only a share
//!   of the first attempts over a sliding window, plus a floor; a spent budget gives up
//!   at once with the last error (see [`budget`]).
//!
//! Every decision emits a `tracing` event with target `resilience`: "retry scheduled"
//! (attempt, delay, error), "giving up" (attempt, reason, error) or "retry budget
//! exhausted" (attempt, budget, error).
//!
//! ```
//! use resilience_core::backoff::{Backoff, Jitter};
//! use resilience_core::retry::{Retry, RetryPolicy};
//! use std::cell::Cell;
//! use std::time::Duration;
//!
//! #[derive(Debug, PartialEq)]
//! enum ApiError { RateLimited { retry_after: Duration }, Server(u16), BadRequest }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), resilience_core::ConfigError> {
//! const POLICY: RetryPolicy = resilience_core::ConfigError::unwrap_const(
//!     RetryPolicy::builder().attempts(4).build(),
//! );
//! let calls = Cell::new(0);
//! let start = tokio::time::Instant::now();
//! let result = Retry::new(&POLICY)
//!     .when(|e: &ApiError| !matches!(e, ApiError::BadRequest))
//!     .retry_after(|e: &ApiError| match e {
//!         ApiError::RateLimited { retry_after } => Some(*retry_after),
//!         _ => None,
//!     })
//!     .run(|| async {
//!         calls.set(calls.get() + 1);
//!         match calls.get() {
//!             1 => Err(ApiError::RateLimited { retry_after: Duration::from_secs(5) }),
//!             2 => Err(ApiError::Server(503)),
//!             _ => Ok("summary"),
//!         }
//!     })
//!     .await;
//! assert_eq!(result, Ok("summary"));
//! assert_eq!(calls.get(), 3);
//! // 5s asked by the server, then a full-jitter draw from [0, 2s].
//! let waited = start.elapsed();
//! assert!(waited >= Duration::from_secs(5) && waited <= Duration::from_secs(7));
//! # Ok(())
//! # }
//! ```

pub mod budget;
mod decision;
mod layer;
mod policy;
mod run;
mod state;

pub use budget::{
    Budget, BudgetStats, NamedBudget, NoBudget, Price, RetryBudget, RetryBudgetBuilder,
};
pub use decision::{GiveUp, RetryDecision};
pub use layer::{RetryLayer, RetryStack};
pub use policy::{RetryPolicy, RetryPolicyBuilder};
pub use run::{AnyError, Classify, NoRetryAfter, Retry, RetryAfter};
pub use state::RetryState;
