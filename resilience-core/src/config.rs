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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConfigError {
    key: &'static str,
    reason: &'static str,
}

impl ConfigError {
    /// A refusal of `key` for `reason` (a lowercase phrase such as "must be at least 1").
    ///
    /// ```
    /// let err = resilience_core::ConfigError::new("factor", "must be at least 1.0");
    /// assert_eq!(err.reason(), "must be at least 1.0");
    /// ```
    pub const fn new(key: &'static str, reason: &'static str) -> Self {
        Self { key, reason }
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
            Err(err) => panic!("{}", err.reason),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for ConfigError {}
