//! The runtime behind [`resilience`](https://docs.rs/resilience)'s attributes.
//!
//! One module per pattern, each usable on its own without the macros:
//!
//! | module | owns |
//! |---|---|
//! | [`backoff`] | delay schedules: exponential, fixed, linear; jitter; cap |
//! | [`retry`] | a retry policy and running an operation under it, async and blocking; retry budgets |
//! | [`circuit`] | the lock-free circuit breaker |
//! | [`rate_limit`] | requests and tokens per period, paced (GCRA) |
//! | [`bulkhead`] | at most `max` calls at once, a bounded queue for the rest |
//! | [`timeout`] | a deadline around one call |
//! | [`fallback`] | ordered alternatives, and which one served |
//! | [`hedge`] | hedged calls: another copy after a delay, the first answer wins |
//! | [`stream`] | streaming calls, answered by their first item; an idle deadline after it |
//! | [`chaos`] | seeded fault injection for tests and demos |
//! | [`registry`] | every named breaker, for dashboards and tests |
//! | [`keyed`] | a family of members by key (breakers per model, limiters per host) |
//! | [`pipeline`] | the driver the attribute macros expand into |
//! | `http` | (feature `http`) transient or permanent, and the server's delay, from an HTTP outcome |
//!
//! Time always comes from tokio's clock ([`tokio::time`]), so tests run with the clock
//! paused and assert exact instants. Every policy emits [`tracing`] events with target
//! `resilience`.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod backoff;
pub mod bulkhead;
pub mod chaos;
pub mod circuit;
mod config;
pub mod fallback;
pub mod hedge;
#[cfg(feature = "http")]
pub mod http;
mod human;
pub mod keyed;
pub mod pipeline;
pub mod rate_limit;
pub mod registry;
pub mod retry;
mod splitmix;
pub mod stream;
mod sync;
pub mod timeout;
mod waitlist;

pub use bulkhead::{Bulkhead, BulkheadFull};
pub use circuit::{CircuitBreaker, CircuitOpen, State, Stats};

pub use config::ConfigError;
/// The link-time list behind [`registry::ATTRIBUTES`], for the attribute macros'
/// expansions. Not public API.
#[doc(hidden)]
pub use linkme as __linkme;
pub use rate_limit::{RateLimited, RateLimiter};
pub use retry::RetryBudget;
pub use stream::{EmptyStream, Streamed};
pub use timeout::TimedOut;
