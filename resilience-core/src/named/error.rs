//! [`FileError`]: what is wrong in a configuration file, and where.

use core::fmt;

/// A configuration file that cannot be used: which file, which line, which key, why.
///
/// Loading never applies part of a file: on an error the policies loaded before stay.
///
/// ```
/// use resilience_core::named::Policies;
///
/// let err = Policies::parse("app.toml", "[llm.retry]\nattempts = \"four\"\n").unwrap_err();
/// assert_eq!((err.file(), err.line(), err.key()), ("app.toml", 2, "llm.retry.attempts"));
/// assert_eq!(err.to_string(), "app.toml:2: `llm.retry.attempts`: expected a whole number, found a string");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    file: String,
    line: usize,
    key: String,
    reason: String,
}

impl FileError {
    pub(super) fn new(file: &str, text: &str, at: usize, key: String, reason: String) -> Self {
        let line = text
            .get(..at)
            .map_or(1, |before| before.matches('\n').count() + 1);
        FileError {
            file: file.to_owned(),
            line,
            key,
            reason,
        }
    }

    /// The file (as given to [`load`](super::load)).
    ///
    /// ```
    /// # use resilience_core::named::Policies;
    /// let err = Policies::parse("app.toml", "[llm.retry]\nattempt = 3\n").unwrap_err();
    /// assert_eq!(err.file(), "app.toml");
    /// ```
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, from 1.
    ///
    /// ```
    /// # use resilience_core::named::Policies;
    /// let err = Policies::parse("app.toml", "[llm.retry]\nattempt = 3\n").unwrap_err();
    /// assert_eq!(err.line(), 2);
    /// ```
    pub fn line(&self) -> usize {
        self.line
    }

    /// The key, dotted from the top of the file (`llm.retry.base`).
    ///
    /// ```
    /// # use resilience_core::named::Policies;
    /// let err = Policies::parse("app.toml", "[llm.retry]\nattempt = 3\n").unwrap_err();
    /// assert_eq!(err.key(), "llm.retry.attempt");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Why the value or key is refused.
    ///
    /// ```
    /// # use resilience_core::named::Policies;
    /// let err = Policies::parse("app.toml", "[llm.retry]\nattempt = 3\n").unwrap_err();
    /// assert!(err.reason().starts_with("unknown key"));
    /// ```
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: `{}`: {}",
            self.file, self.line, self.key, self.reason
        )
    }
}

impl std::error::Error for FileError {}
