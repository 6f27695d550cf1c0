//! `resilience`: retry, circuit breaker, timeout and fallback as attributes on your
//! functions, for code that calls flaky services (LLM APIs above all).
//!
//! (Crate docs are completed with the macros: see README.md.)
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

#[doc(inline)]
pub use resilience_core::{
    backoff, chaos, circuit, fallback, pipeline, registry, retry, timeout, CircuitBreaker,
    CircuitOpen, ConfigError, State, Stats, TimedOut,
};

#[doc(inline)]
pub use resilience_macros::{circuit, fallback, retry, timeout};

/// What the attribute macros' expansions refer to. Not public API: no stability
/// guarantees, and nothing here is meant to be named by hand.
#[doc(hidden)]
pub mod __private {
    pub use resilience_core::backoff::{Backoff, Jitter};
    pub use resilience_core::circuit::CircuitBreaker;
    pub use resilience_core::pipeline::{pipeline, Outcome, Step};
    pub use resilience_core::retry::RetryPolicy;
    pub use resilience_core::ConfigError;

    /// Unwraps a breaker built in a `static`: a bad setting that the macro could not
    /// check (an expression, not a literal) stops compilation here.
    pub const fn breaker(
        built: Result<CircuitBreaker, ConfigError>,
    ) -> CircuitBreaker {
        match built {
            Ok(breaker) => breaker,
            Err(error) => panic!("{}", error.reason()),
        }
    }
}
