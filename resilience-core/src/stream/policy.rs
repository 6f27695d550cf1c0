//! A stream call's settings: its name, and the two deadlines.

use core::time::Duration;

use crate::ConfigError;
use crate::config::config_error;

/// How long a stream call may take to its first item, and how long its stream may then
/// stay silent: what `#[stream(first = DUR, idle = DUR)]` builds, checked once in a
/// `const fn`.
///
/// | setting | meaning | default |
/// |---|---|---|
/// | [`name`](StreamPolicyBuilder::name) | the call's name in events and in [`EmptyStream`](super::EmptyStream) | `"stream"` |
/// | [`first`](StreamPolicyBuilder::first) | longest from the call's start to its first item | no bound |
/// | [`idle`](StreamPolicyBuilder::idle) | longest wait for each later item | no bound |
///
/// ```
/// use std::time::Duration;
/// use resilience_core::{stream::StreamPolicy, ConfigError};
///
/// static CHAT: StreamPolicy = ConfigError::unwrap_const(
///     StreamPolicy::builder()
///         .name("my_app::chat")
///         .first(Duration::from_secs(10))
///         .idle(Duration::from_secs(30))
///         .build(),
/// );
/// assert_eq!(CHAT.first(), Some(Duration::from_secs(10)));
/// assert_eq!(CHAT.idle(), Some(Duration::from_secs(30)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamPolicy {
    name: &'static str,
    first: Option<Duration>,
    idle: Option<Duration>,
}

impl StreamPolicy {
    /// No deadline: the call is answered by its first item, however late, and the stream
    /// may pause for as long as it likes.
    ///
    /// ```
    /// use resilience_core::stream::StreamPolicy;
    ///
    /// assert_eq!(StreamPolicy::DEFAULT.first(), None);
    /// ```
    pub const DEFAULT: StreamPolicy = StreamPolicy {
        name: "stream",
        first: None,
        idle: None,
    };

    /// A builder with the defaults listed on [`StreamPolicy`].
    ///
    /// ```
    /// use resilience_core::stream::StreamPolicy;
    ///
    /// assert_eq!(StreamPolicy::builder().build()?, StreamPolicy::DEFAULT);
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn builder() -> StreamPolicyBuilder {
        StreamPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// The call's name.
    ///
    /// ```
    /// # use resilience_core::stream::StreamPolicy;
    /// assert_eq!(StreamPolicy::DEFAULT.name(), "stream");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The longest from the call's start to its first item.
    ///
    /// ```
    /// # use resilience_core::stream::StreamPolicy;
    /// assert_eq!(StreamPolicy::DEFAULT.first(), None);
    /// ```
    pub const fn first(&self) -> Option<Duration> {
        self.first
    }

    /// The longest wait for each item after the first.
    ///
    /// ```
    /// # use resilience_core::stream::StreamPolicy;
    /// assert_eq!(StreamPolicy::DEFAULT.idle(), None);
    /// ```
    pub const fn idle(&self) -> Option<Duration> {
        self.idle
    }
}

impl Default for StreamPolicy {
    /// [`StreamPolicy::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Builds a [`StreamPolicy`]; see there for the settings and their defaults.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::stream::StreamPolicy;
///
/// let policy = StreamPolicy::builder().first(Duration::from_secs(5)).build()?;
/// assert_eq!(policy.first(), Some(Duration::from_secs(5)));
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct StreamPolicyBuilder {
    policy: StreamPolicy,
}

impl StreamPolicyBuilder {
    /// The call's name in events and in [`EmptyStream`](super::EmptyStream). Must not be
    /// empty.
    ///
    /// ```
    /// # use resilience_core::stream::StreamPolicy;
    /// assert_eq!(StreamPolicy::builder().name("chat").build()?.name(), "chat");
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn name(mut self, name: &'static str) -> Self {
        self.policy.name = name;
        self
    }

    /// The longest from the call's start (its first poll: opening the connection
    /// counts) to its first item; then the call fails with
    /// [`TimedOut`](crate::TimedOut). Must not be zero.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::stream::StreamPolicy;
    /// let policy = StreamPolicy::builder().first(Duration::from_millis(800)).build()?;
    /// assert_eq!(policy.first(), Some(Duration::from_millis(800)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn first(mut self, first: Duration) -> Self {
        self.policy.first = Some(first);
        self
    }

    /// The longest the caller waits for each later item; then the stream yields
    /// [`TimedOut`](crate::TimedOut) and ends. Must not be zero.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use resilience_core::stream::StreamPolicy;
    /// let policy = StreamPolicy::builder().idle(Duration::from_secs(20)).build()?;
    /// assert_eq!(policy.idle(), Some(Duration::from_secs(20)));
    /// # Ok::<(), resilience_core::ConfigError>(())
    /// ```
    pub const fn idle(mut self, idle: Duration) -> Self {
        self.policy.idle = Some(idle);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for an empty name or a zero `first` or `idle` (a deadline that has
    /// always passed would fail every call).
    ///
    /// ```
    /// use std::time::Duration;
    /// use resilience_core::stream::StreamPolicy;
    ///
    /// let err = StreamPolicy::builder().idle(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid `idle`: must be longer than zero");
    /// ```
    pub const fn build(self) -> Result<StreamPolicy, ConfigError> {
        let policy = self.policy;
        if policy.name.is_empty() {
            return Err(config_error!("name", "must not be empty"));
        }
        // No `let` chains: the crate's MSRV (1.86) predates them.
        if let Some(first) = policy.first {
            if first.is_zero() {
                return Err(config_error!("first", "must be longer than zero"));
            }
        }
        if let Some(idle) = policy.idle {
            if idle.is_zero() {
                return Err(config_error!("idle", "must be longer than zero"));
            }
        }
        Ok(policy)
    }
}
