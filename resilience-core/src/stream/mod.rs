//! Streaming calls (LLM answers as server-sent events): retried, broken and fallen back
//! from until their first item, never after it.
//!
//! The failures of a streaming call that matter happen before its first item: a `429`
//! or a `5xx`, a connection that opens and then says nothing, a `200` whose first event
//! is an error (Anthropic's `overloaded_error`). After the first token has been shown to
//! a user, calling again would show it twice. So a stream call is **answered by its
//! first item**: [`first_item`] turns the call (a future of `Result<S, E>`, `S` a
//! [`Stream`] of `Result<T, E>`) into a future that resolves when
//! the stream yields its first item, to a [`Streamed`] that hands that item out first,
//! then the rest.
//!
//! Under a pipeline (`#[stream]` with `#[retry]`, `#[circuit]`, `#[fallback]`,
//! `#[timeout]`, `#[rate_limit]`, `#[bulkhead]`, `#[hedge]` above it), every layer sees
//! that as the call: a deadline above bounds the wait for the first item, a retry calls
//! again when the stream fails before it starts, a hedge races copies to the first
//! item, a fallback calls its next agent when the stream's first event is an error.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! use std::time::Duration;
//! use futures_util::{stream, StreamExt};
//! use resilience_core::{stream::{first_item, EmptyStream, StreamPolicy}, TimedOut};
//!
//! #[derive(Debug, PartialEq)]
//! enum ApiError { Timeout, Empty }
//! impl From<TimedOut> for ApiError { fn from(_: TimedOut) -> Self { ApiError::Timeout } }
//! impl From<EmptyStream> for ApiError { fn from(_: EmptyStream) -> Self { ApiError::Empty } }
//!
//! static POLICY: StreamPolicy = resilience_core::ConfigError::unwrap_const(
//!     StreamPolicy::builder().first(Duration::from_secs(10)).idle(Duration::from_secs(30)).build(),
//! );
//! let open = async { Ok(stream::iter([Ok::<_, ApiError>("Hel"), Ok("lo")])) }; // one HTTP call
//! let answer = first_item(open, &POLICY).await.unwrap(); // answered: "Hel" has arrived
//! assert_eq!(answer.map(Result::unwrap).collect::<String>().await, "Hello");
//! # }
//! ```
//!
//! # After the first item
//!
//! Once a call has answered, the layers above it are done with it: an error item, a cut
//! connection or an idle timeout later in the stream reaches the caller as an item of
//! the stream, and nothing above is asked again.
//!
//! - **A breaker** counted the call as a success at its first item, and sees nothing of
//!   what happens after. Its question is "does the service answer?", and a stream that
//!   started did. Counting a failure at the end instead would hold a half-open probe's
//!   permit for the whole length of a stream (minutes for a long answer) and make its
//!   verdict depend on how long the caller reads; a late verdict reported out of band
//!   would count the same call twice. A service whose streams keep dying mid-way is seen
//!   by the breaker through the calls that follow, if it also fails them before their
//!   first item.
//! - **`fallback::observe`** reports the function (or agent) that served the first
//!   item: that is who the answer came from.
//! - **A retry or a fallback** never starts again after the first item: the caller
//!   already has part of the answer.
//!
//! Events (target `resilience`): `debug` "stream: first item" with `name` and
//! `after_ms` (the call's time to its first item); `info` "stream: failed before its
//! first item" with `reason` (`error`, `error item`, `ended`, `timed out`); `warn`
//! "stream idle" when the idle deadline ends a stream.
//!
//! # Not a layer
//!
//! `#[stream]` changes what a call *is* rather than wrapping the stack below it, so it is
//! not a [`pipeline::Layer`](crate::pipeline::Layer): the expansion wraps each call (the
//! body, and every fallback agent, which a fallback runs in place of the stack below
//! it) in [`first_item`], giving their streams one type with [`Either`] ([`left`],
//! [`right`]). The pipeline's `T` is the [`Streamed`] stream, so each layer above is
//! unchanged.

mod either;
mod error;
mod first;
mod policy;
mod streamed;

pub use either::{Either, InLeft, InRight, left, right};
pub use error::{EmptyStream, FromStreamError};
pub use first::{FirstItem, first_item};
/// The trait a `#[stream]` function's stream implements (`futures_core::Stream`),
/// re-exported so that `impl Stream<Item = ..>` needs no other import.
pub use futures_core::Stream;
pub use policy::{StreamPolicy, StreamPolicyBuilder};
pub use streamed::Streamed;
