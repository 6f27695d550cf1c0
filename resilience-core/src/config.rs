//! The one error every builder returns for a bad setting.

use core::fmt;

/// A setting that a builder refused: which key, and why.
///
/// Every `build()` in this crate validates its inputs and returns this instead of
/// panicking later inside a call. It is `const`-constructible, so builders can be
/// `const fn` and a bad literal in a `static` is a compile-time error.
///
/// ```
/// use resilience_core::ConfigError;
///
/// let err = ConfigError::new("threshold", "must be at least 1");
/// assert_eq!(err.key(), "threshold");
/// assert_eq!(err.to_string(), "invalid `threshold`: must be at least 1");
/// ```
#[derive(Clone, Copy)]
pub struct ConfigError {
    key: &'static str,
    reason: &'static str,
    /// The whole sentence, for [`unwrap_const`](Self::unwrap_const)'s compile-time
    /// message (a `const` panic can print one string, not a formatted pair).
    message: &'static str,
}

/// A [`ConfigError`] with its whole message made at compile time:
/// `config_error!("attempts", "must be at least 1")`.
macro_rules! config_error {
    ($key:literal, $reason:literal) => {
        $crate::ConfigError::with_message($key, $reason, concat!("invalid `", $key, "`: ", $reason))
    };
}
pub(crate) use config_error;

impl ConfigError {
    /// A refusal of `key` for `reason` (a lowercase phrase such as "must be at least 1").
    ///
    /// ```
    /// let err = resilience_core::ConfigError::new("factor", "must be at least 1.0");
    /// assert_eq!(err.reason(), "must be at least 1.0");
    /// ```
    pub const fn new(key: &'static str, reason: &'static str) -> Self {
        Self {
            key,
            reason,
            message: reason,
        }
    }

    /// [`new`](Self::new) with the whole message given, for the compile-time check of
    /// a setting (see [`unwrap_const`](Self::unwrap_const)).
    ///
    /// ```
    /// use resilience_core::ConfigError;
    ///
    /// let err = ConfigError::with_message("attempts", "must be at least 1", "invalid `attempts`: must be at least 1");
    /// assert_eq!(err.reason(), "must be at least 1");
    /// ```
    pub const fn with_message(
        key: &'static str,
        reason: &'static str,
        message: &'static str,
    ) -> Self {
        Self {
            key,
            reason,
            message,
        }
    }

    /// The name of the refused setting, as the builder method spells it.
    ///
    /// ```
    /// assert_eq!(resilience_core::ConfigError::new("max", "x").key(), "max");
    /// ```
    pub const fn key(&self) -> &'static str {
        self.key
    }

    /// Why it was refused.
    ///
    /// ```
    /// assert_eq!(resilience_core::ConfigError::new("max", "x").reason(), "x");
    /// ```
    pub const fn reason(&self) -> &'static str {
        self.reason
    }

    /// Unwraps a `const` build result, panicking at compile time with the reason.
    ///
    /// This is what the attribute macros use for policies kept in `const`/`static`
    /// items: a bad setting stops compilation instead of failing a call.
    ///
    /// ```
    /// use resilience_core::ConfigError;
    /// use resilience_core::retry::RetryPolicy;
    ///
    /// const POLICY: RetryPolicy = ConfigError::unwrap_const(RetryPolicy::builder().attempts(4).build());
    /// assert_eq!(POLICY.attempts(), 4);
    /// ```
    #[track_caller]
    pub const fn unwrap_const<T: Copy>(result: Result<T, ConfigError>) -> T {
        match result {
            Ok(value) => value,
            Err(err) => panic!("{}", err.message),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for ConfigError {}

// Two errors are the same when they refuse the same key for the same reason; the whole
// message is made from those two.
impl PartialEq for ConfigError {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.reason) == (other.key, other.reason)
    }
}

impl Eq for ConfigError {}

impl core::hash::Hash for ConfigError {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.key, self.reason).hash(state);
    }
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigError")
            .field("key", &self.key)
            .field("reason", &self.reason)
            .finish()
    }
}
