//! Ordered alternatives, and which one served.
//!
//! When the primary fails, try the next alternative, then the next; the first `Ok` wins, and
//! if all fail the last error is returned. `#[fallback(agents = [gpt35, local_llm])]` expands
//! into that loop; [`first_ok`] / [`first_ok_blocking`] are the same thing without the macro.
//!
//! Whichever way the fallback ran, callers can find out *who* answered: the answer of
//! `local_llm` is not the answer of `gpt4`, and a dashboard or a test wants to know.
//! [`report`] records a [`Served`] `{ by, level }` (level 1 = first fallback) and emits the
//! `info` event "fallback served"; [`observe`] / [`observe_blocking`] collect the last report
//! made while a future or closure ran.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use resilience_core::fallback::{first_ok, observe, Served};
//!
//! let (answer, served) = observe(first_ok(["gpt4", "gpt35"], |_| true, |level| async move {
//!     if level == 0 { Err("timeout") } else { Ok("answer from gpt35") }
//! }))
//! .await;
//! assert_eq!(answer, Ok("answer from gpt35"));
//! assert_eq!(served, Some(Served { by: "gpt35", level: 1 }));
//! # }
//! ```
//!
//! # Whose fallback a scope sees
//!
//! An [`observe`] scope counts the pipelines (attribute stacks, and [`first_ok`]) that
//! run inside it, nested: the observed function's own is at depth 1, one in its body or
//! in one of its agents at depth 2, and so on. Only reports made at depth 1 (by the
//! observed function's own fallback layers), or directly in the observed code with
//! [`report`] (depth 0), are the scope's: a fallback taken deeper answered a question
//! the observed function asked, not the caller's.
//!
//! # Why a task-local report, and not a return value
//!
//! The function with `#[fallback]` keeps its own signature (`Result<T, E>`): changing it to
//! return "the value plus who served" would break every caller, trait impls and `?`. So the
//! fact travels beside the value instead:
//!
//! - **Only callers who ask pay.** Outside an [`observe`] scope, [`report`] is one
//!   thread-local read and the event; nothing is stored, nothing allocated, no lock.
//! - **It follows the call, not the thread.** The slot is a [`tokio::task_local!`], set
//!   only while the observed future is being polled, so it stays correct when the task moves
//!   between worker threads and when many observed calls run interleaved on one thread. A
//!   global or thread-local "last served" would mix up concurrent calls.
//! - **The observed call's own fallback.** When fallback functions call each other, only
//!   the observed function's own fallback counts (see above); with several fallback
//!   layers on it, the report made last is the one closest to the value the caller
//!   received.
//!
//! The limit of this design: a scope covers the observed future (and, for
//! [`observe_blocking`], the current thread), not tasks it `tokio::spawn`s. Observe inside the
//! spawned task instead.

mod agent;
mod alternatives;
mod layer;
mod report;

pub use agent::{Agent, AgentCall, AsyncAgent, BlockingAgent, agent, agent_blocking};
pub use alternatives::{first_ok, first_ok_blocking};
pub use layer::{FallbackLayer, FallbackStack};
pub(crate) use report::Depth;
pub use report::{Served, observe, observe_blocking, report};
