//! The error a call gets instead of running when the breaker refuses it.

use core::fmt;
use std::time::Duration;

use super::State;

/// A call refused by a [`CircuitBreaker`](super::CircuitBreaker): it is open, or half-open
/// with every probe slot taken.
///
/// It carries the breaker's name and how long until the breaker lets a call through
/// again (exact in [`retry_in`](Self::retry_in), rounded for people in its message): the
/// rest of the recovery period when open, zero when half-open (a slot frees up as soon as
/// a probe finishes). The attribute macros return it as `E::from(CircuitOpen)`.
///
/// It is `Copy`, as every error of this crate is: an error type that holds it has no
/// drop glue, which every `Result` moved through a pipeline would pay for (measured: a
/// first-try `#[retry]` costs 35 instructions with a `Copy` error, 127 when the error
/// holds a reference-counted name).
///
/// ```
/// use std::time::Duration;
/// use resilience_core::circuit::CircuitOpen;
///
/// let err = CircuitOpen::new("gpt4", Duration::from_millis(12_500));
/// assert_eq!(err.name(), "gpt4");
/// assert_eq!(err.retry_in(), Duration::from_millis(12_500));
/// assert_eq!(err.to_string(), "circuit `gpt4` is open; retry in 12.5s");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CircuitOpen {
    name: &'static str,
    state: State,
    retry_in: Duration,
}

impl CircuitOpen {
    /// The error for an open breaker named `name` that recovers in `retry_in`.
    ///
    /// Mostly useful to build expected values in tests and in `From` impls; breakers
    /// create their own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::circuit::{CircuitOpen, State};
    ///
    /// let err = CircuitOpen::new("search", Duration::from_secs(3));
    /// assert_eq!(err.state(), State::Open);
    /// ```
    pub const fn new(name: &'static str, retry_in: Duration) -> Self {
        Self {
            name,
            state: State::Open,
            retry_in,
        }
    }

    /// The error for an open breaker, from the breaker.
    pub(crate) fn open(name: &'static str, retry_in: Duration) -> Self {
        Self {
            name,
            state: State::Open,
            retry_in,
        }
    }

    /// The error for a half-open breaker whose probe slots are all taken.
    pub(crate) fn probe_limit(name: &'static str) -> Self {
        Self {
            name,
            state: State::HalfOpen,
            retry_in: Duration::ZERO,
        }
    }

    /// The error for an isolated breaker: no call passes until it is reset, so the
    /// wait is unbounded ([`Duration::MAX`]: a retry above gives up at once).
    pub(crate) fn isolated(name: &'static str) -> Self {
        Self {
            name,
            state: State::Isolated,
            retry_in: Duration::MAX,
        }
    }

    /// The name of the breaker that refused the call. For a breaker of a `key`, the name
    /// of its family (`"llm"` for `"llm/gpt-4"`: the key is the caller's own argument,
    /// and the breaker's rejection event carries the full name); for the breaker of a
    /// `Self` type, its own (`"app::OpenAi::chat"`).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitOpen;
    /// assert_eq!(CircuitOpen::new("db", Duration::ZERO).name(), "db");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How long until the breaker admits a call again: the rest of the recovery period
    /// when open, [`Duration::ZERO`] when refused for the half-open probe limit,
    /// [`Duration::MAX`] when isolated (only a [`reset`](super::CircuitBreaker::reset)
    /// lets calls through again).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::circuit::CircuitOpen;
    /// let err = CircuitOpen::new("db", Duration::from_secs(30));
    /// assert_eq!(err.retry_in(), Duration::from_secs(30));
    /// ```
    pub const fn retry_in(&self) -> Duration {
        self.retry_in
    }

    /// The state the breaker refused the call in: [`State::Open`],
    /// [`State::HalfOpen`] when every probe slot was taken, or [`State::Isolated`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// use resilience_core::circuit::{CircuitOpen, State};
    ///
    /// assert_eq!(CircuitOpen::new("db", Duration::ZERO).state(), State::Open);
    /// ```
    pub const fn state(&self) -> State {
        self.state
    }
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state {
            State::HalfOpen => write!(
                f,
                "circuit `{}` is half-open and all its probe slots are taken; retry in {}",
                self.name,
                crate::human::duration(self.retry_in)
            ),
            State::Isolated => write!(
                f,
                "circuit `{}` is isolated; no call passes until it is reset",
                self.name
            ),
            _ => write!(
                f,
                "circuit `{}` is open; retry in {}",
                self.name,
                crate::human::duration(self.retry_in)
            ),
        }
    }
}

impl std::error::Error for CircuitOpen {}

/// Lets I/O code put a breaker in front of calls that return [`std::io::Error`]: the
/// rejection becomes an error of kind [`Other`](std::io::ErrorKind::Other) whose
/// source is the [`CircuitOpen`].
///
/// ```
/// use std::{io, time::Duration};
/// use resilience_core::circuit::CircuitOpen;
///
/// let err = io::Error::from(CircuitOpen::new("disk", Duration::from_secs(1)));
/// assert_eq!(err.kind(), io::ErrorKind::Other);
/// assert_eq!(err.to_string(), "circuit `disk` is open; retry in 1s");
/// ```
impl From<CircuitOpen> for std::io::Error {
    fn from(open: CircuitOpen) -> Self {
        std::io::Error::other(open)
    }
}
