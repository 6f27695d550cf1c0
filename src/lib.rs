//! Retry, circuit breaker, timeout and fallback as attributes on your functions, for
//! code that calls flaky services: LLM APIs above all, where timeouts, `429 Too Many
//! Requests` with `Retry-After`, 5xx bursts and malformed output are daily life.
//!
//! ```
//! use resilience::{circuit, fallback, retry, timeout, CircuitOpen, TimedOut};
//!
//! #[derive(Debug)]
//! enum ApiError { Network, RateLimited, Open(CircuitOpen), Timeout(TimedOut) }
//! impl From<CircuitOpen> for ApiError { fn from(e: CircuitOpen) -> Self { ApiError::Open(e) } }
//! impl From<TimedOut> for ApiError { fn from(e: TimedOut) -> Self { ApiError::Timeout(e) } }
//!
//! async fn gpt35(prompt: &str) -> Result<String, ApiError> { Err(ApiError::RateLimited) }
//! async fn local_llm(prompt: &str) -> Result<String, ApiError> { Ok(format!("local: {prompt}")) }
//!
//! #[fallback(agents = [gpt35, local_llm])]
//! #[circuit(threshold = 3, recovery = 30s, success_threshold = 2)]
//! #[retry(attempts = 4, backoff = "exp", max = 10s, on = ApiError::Network | ApiError::RateLimited)]
//! #[timeout(10s)]
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> {
//!     Err(ApiError::Network) // one HTTP call
//! }
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let (answer, served) = resilience::fallback::observe(gpt4("hello")).await;
//! assert_eq!(answer.unwrap(), "local: hello");
//! assert_eq!(served.unwrap().by, "local_llm");
//! # }
//! ```
//!
//! # Stacking
//!
//! Several attributes on one function form one pipeline. **Textual order is nesting
//! order: the topmost attribute is the outermost layer.**
//!
//! ```text
//! #[fallback]  ┌───────────────────────────────────────────────────────┐
//! #[circuit]   │ ┌────────────────────────────────────────────────┐    │ agents, in order,
//! #[retry]     │ │ ┌──────────────────────────────────────────┐   │    │ when all of this fails
//! #[timeout]   │ │ │ ┌────────────┐ ┌────────────┐             │   │    │
//!              │ │ │ │ 10s │ body │ │ 10s │ body │  ...  x4    │   │    │
//!              │ │ │ └────────────┘ └────────────┘             │   │    │
//!              │ │ │   retry: 1s, 2s, 4s between attempts      │   │    │
//!              │ │ └──────────────────────────────────────────┘   │    │
//!              │ │   breaker: one outcome per retry sequence       │    │
//!              │ └────────────────────────────────────────────────┘    │
//!              └───────────────────────────────────────────────────────┘
//! ```
//!
//! With `#[circuit]` above `#[retry]` the breaker sees one outcome per exhausted retry
//! sequence; with `#[retry]` above `#[circuit]` it sees every attempt, and once it opens
//! the retry receives [`CircuitOpen`] (retried only if `on`/`when` says so). A
//! `#[timeout]` below `#[retry]` bounds each attempt; above it, the whole sequence
//! including the waits.
//!
//! The first attribute expands the whole stack into one call chain; the ones below it
//! are left as inert markers. Attributes that are not ours stay on the function and
//! wrap the whole pipeline.
//!
//! # What the expansion looks like
//!
//! `cargo expand` shows a short, absolute-path call into the runtime: a
//! [`pipeline`](pipeline::pipeline) with one layer per attribute, outermost first, and a
//! loop that awaits your body inline and asks the pipeline what to do next (`enter`
//! before the first call, `leave` with each outcome, `wait` only when a layer waits,
//! such as a retry's delay).
//!
//! ```
//! # use resilience::{CircuitOpen, TimedOut};
//! # #[derive(Debug)] enum ApiError { Network }
//! // #[retry(attempts = 4, on = ApiError::Network)]
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> {
//!     let mut pipeline = resilience::pipeline::pipeline::<Result<String, ApiError>>().retry(
//!         {
//!             static POLICY: resilience::retry::RetryPolicy = resilience::ConfigError::unwrap_const(
//!                 resilience::retry::RetryPolicy::builder().attempts(4).build(),
//!             );
//!             &POLICY
//!         },
//!         |error| matches!(error, ApiError::Network),
//!         resilience::retry::NoRetryAfter,
//!     )
//!     .build();
//!     let mut flow = pipeline.enter();
//!     loop {
//!         match { flow } {
//!             resilience::pipeline::Flow::Call(_) => {}
//!             resilience::pipeline::Flow::Done(result) => break result,
//!             resilience::pipeline::Flow::Wait => {
//!                 flow = pipeline.wait().await; // the retry delay
//!                 continue;
//!             }
//!         }
//!         let outcome = pipeline.guard(async {
//!             Ok(format!("answer to {prompt}")) // the body, unchanged
//!         }).await;
//!         flow = pipeline.leave(outcome);
//!     }
//! }
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! # assert_eq!(gpt4("q").await.unwrap(), "answer to q");
//! # });
//! ```
//!
//! Why a loop and not a closure: a closure that re-runs the body cannot borrow
//! `&mut self`, and an async closure makes the future lose `Send` (see
//! [`pipeline`]). Awaiting the body inline keeps every borrow plain and the future
//! `Send` whenever the body's is, so these functions can be `tokio::spawn`ed.
//!
//! # Arguments across attempts
//!
//! Each attempt runs the body again. Arguments the body only borrows (references,
//! `&self`, `&mut self`, owned values used by reference) need no `Clone` and are not
//! copied. A body that *consumes* an owned argument under `#[retry]` or `#[fallback]`
//! does not compile (`value moved here, in previous iteration of loop`, pointing at the
//! argument); take a fresh copy per attempt at the top of the body:
//!
//! ```
//! # use resilience::retry;
//! # #[derive(Debug)] struct ApiError;
//! # fn send(_: Vec<u8>) -> Result<usize, ApiError> { Ok(0) }
//! #[retry(attempts = 3)]
//! async fn upload(body: Vec<u8>) -> Result<usize, ApiError> {
//!     let body = body.clone(); // one copy per attempt, spelled out
//!     send(body)
//! }
//! ```
//!
//! Stacks without `#[retry]`, `#[fallback]` and `#[hedge]` call the body once, so there
//! the body may consume its arguments freely. `#[hedge]` runs the body several times at
//! once, so its copies share the arguments: no `&mut` (a compile error says why). Fallback agents receive the function's arguments:
//! references as they are (`&mut` reborrowed), owned values cloned.
//!
//! # Without the macros
//!
//! Every pattern is usable on its own from [`retry`](mod@retry) (and its
//! [`RetryBudget`]), [`circuit`](mod@circuit), [`timeout`](mod@timeout),
//! [`fallback`](mod@fallback), [`hedge`](mod@hedge), [`rate_limit`](mod@rate_limit),
//! [`bulkhead`](mod@bulkhead), [`stream`](mod@stream) (a streaming call answered at its
//! first item), [`backoff`] and [`chaos`];
//! depend on `resilience-core` alone if you want the runtime without proc macros.
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

#[doc(inline)]
pub use resilience_core::{
    CircuitBreaker, CircuitOpen, ConfigError, RetryBudget, State, Stats, TimedOut, backoff, chaos,
    circuit, fallback, hedge, pipeline, registry, retry, timeout,
};

#[doc(inline)]
pub use resilience_core::{Bulkhead, BulkheadFull, RateLimited, RateLimiter, bulkhead, rate_limit};

#[doc(inline)]
pub use resilience_core::{EmptyStream, Streamed, stream};

/// HTTP outcomes: transient or permanent, and the delay the server asked for.
#[cfg(feature = "http")]
#[doc(inline)]
pub use resilience_core::http;

/// Each pattern as a `tower::Layer` + `Service`, built on the same policies (feature `tower`).
#[cfg(feature = "tower")]
#[doc(inline)]
pub use resilience_core::tower;

/// Named policies from a TOML file, reloadable at run time (feature `config`).
#[cfg(feature = "config")]
#[doc(inline)]
pub use resilience_core::named;

/// Event counters, duration histograms and breaker state gauges (feature `metrics`).
#[cfg(feature = "metrics")]
#[doc(inline)]
pub use resilience_core::metrics;

/// Rate limits shared by a fleet of processes through Redis (feature `redis`): install a
/// store once at start-up and every named `#[rate_limit]` counts against one quota, and
/// every `#[circuit]`'s open period is advised to the other replicas.
#[cfg(feature = "redis")]
#[doc(inline)]
pub use resilience_redis as redis;

mod attributes;
mod named_private;
pub use attributes::*;

#[cfg(feature = "status")]
pub mod status;

/// What the attribute macros' expansions refer to. Not public API: no stability
/// guarantees, and nothing here is meant to be named by hand.
#[doc(hidden)]
pub mod __private {
    pub use crate::named_private::{
        ConfigFeature, NamedBreaker, NamedBulkhead, NamedHedge, NamedLimiter, NamedRetry,
        NamedStream, NamedTimeout, config_feature,
    };
    pub use resilience_core::__linkme as linkme;
    pub use resilience_core::ConfigError;
    pub use resilience_core::backoff::{Backoff, Jitter};
    pub use resilience_core::bulkhead::Bulkhead;
    pub use resilience_core::circuit::{Breakers, CircuitBreaker, Scope, Window};
    pub use resilience_core::fallback::{Agent, agent, agent_blocking};
    pub use resilience_core::hedge::{Hedge, HedgePolicy};
    pub use resilience_core::pipeline::{Either, Flow, Outcome, ResultOf, answer, pipeline};
    pub use resilience_core::rate_limit::{NoUsage, RateLimiter, RateLimiters};
    pub use resilience_core::registry::{ATTRIBUTES, Protection};
    pub use resilience_core::retry::{NamedBudget, NoRetryAfter, RetryBudget, RetryPolicy};
    pub use resilience_core::stream::{
        StreamPolicy, first_item, left as stream_left, right as stream_right,
    };

    /// The calls of a function with `#[hedge]`, as one `Fn`: several run at once.
    pub const fn calls<R, F: Fn(usize) -> R>(calls: F) -> F {
        calls
    }

    /// Unwraps a breaker built in a `static`: a bad setting that the macro could not
    /// check (an expression, not a literal) stops compilation here.
    pub const fn breaker(built: Result<CircuitBreaker, ConfigError>) -> CircuitBreaker {
        match built {
            Ok(breaker) => breaker,
            Err(error) => panic!("{}", error.reason()),
        }
    }

    /// `max_keys = N`: a literal is checked by the macro, a `const` here, at compile
    /// time.
    pub const fn max_keys(n: u32) -> core::num::NonZeroUsize {
        match core::num::NonZeroUsize::new(n as usize) {
            Some(n) => n,
            None => panic!("invalid `max_keys`: must be at least 1"),
        }
    }

    /// `key = EXPR`'s value, for the text that names its breaker: a string as it is
    /// (`with_key` of [`KeyAsStr`], picked first by the expansion's `(&&KeyText(..))`),
    /// anything else through `Display`, written into a buffer on the stack.
    pub struct KeyText<'a, T: ?Sized>(pub &'a T);

    /// The text of a key that is a string.
    pub trait KeyAsStr {
        /// Calls `f` with the key's text.
        fn with_key<R>(&self, f: impl FnOnce(&str) -> R) -> R;
    }

    impl<T: ?Sized + AsRef<str>> KeyAsStr for &KeyText<'_, T> {
        #[inline]
        fn with_key<R>(&self, f: impl FnOnce(&str) -> R) -> R {
            f(self.0.as_ref())
        }
    }

    /// The text of a key that is not a string: its `Display`.
    #[diagnostic::on_unimplemented(
        message = "`key = ...` needs a value that is a string or implements `Display`; `{Self}` is neither",
        label = "the breaker of each key is named after the key's text",
        note = "key on a failure domain (a model name, a deployment, a host): `key = self.model`, `key = host.as_str()`"
    )]
    pub trait KeyDisplay {
        /// Calls `f` with the key's text.
        fn with_key<R>(&self, f: impl FnOnce(&str) -> R) -> R;
    }

    impl<T: ?Sized + core::fmt::Display> KeyDisplay for KeyText<'_, T> {
        fn with_key<R>(&self, f: impl FnOnce(&str) -> R) -> R {
            use core::fmt::Write;
            /// Up to 64 bytes on the stack; longer texts go to the heap.
            struct Text {
                short: [u8; 64],
                len: usize,
                long: Option<String>,
            }
            impl Write for Text {
                fn write_str(&mut self, s: &str) -> core::fmt::Result {
                    if let Some(long) = &mut self.long {
                        long.push_str(s);
                    } else if let Some(room) = self.short.get_mut(self.len..self.len + s.len()) {
                        room.copy_from_slice(s.as_bytes());
                        self.len += s.len();
                    } else {
                        let mut long = String::with_capacity(self.len + s.len());
                        long.push_str(
                            core::str::from_utf8(&self.short[..self.len]).unwrap_or_default(),
                        );
                        long.push_str(s);
                        self.long = Some(long);
                    }
                    Ok(())
                }
            }
            let mut text = Text {
                short: [0; 64],
                len: 0,
                long: None,
            };
            let _ = write!(text, "{}", self.0);
            match &text.long {
                Some(long) => f(long),
                None => f(core::str::from_utf8(&text.short[..text.len]).unwrap_or_default()),
            }
        }
    }
}
