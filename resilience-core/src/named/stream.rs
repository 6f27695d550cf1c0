//! [`NamedStream`]: `#[stream(policy = "name", ...)]`'s deadlines, the file's
//! `[name.stream]` over the attribute's literals.

use std::sync::RwLock;

use super::parse::StreamFile;
use super::site::{Kept, Resolved, cached};
use crate::stream::StreamPolicy;

/// The stream policy of a function whose `#[stream]` names a policy.
///
/// Without a file (or a `[name.stream]` table) the literal policy serves, the one the
/// attribute's keys build, checked at compile time. With one, the file's `first` and
/// `idle` over the literals, from the next call on; a call in flight, and a stream
/// already handed out, keep the deadlines they started with.
///
/// ```rust,standalone_crate
/// use std::time::Duration;
/// use resilience_core::{ConfigError, named::{self, NamedStream}, stream::StreamPolicy};
///
/// static LITERAL: StreamPolicy = ConfigError::unwrap_const(
///     StreamPolicy::builder().name("chat").first(Duration::from_secs(10)).build(),
/// );
/// static SITE: NamedStream = NamedStream::new("doc_stream", &LITERAL);
/// assert_eq!(SITE.get().first(), Some(Duration::from_secs(10)));
/// named::load_str("app.toml", "[doc_stream.stream]\nidle = \"20s\"\n")?;
/// assert_eq!(SITE.get().first(), Some(Duration::from_secs(10)), "the file leaves `first` out");
/// assert_eq!(SITE.get().idle(), Some(Duration::from_secs(20)));
/// # Ok::<(), resilience_core::named::FileError>(())
/// ```
pub struct NamedStream {
    name: &'static str,
    literal: &'static StreamPolicy,
    cache: RwLock<Option<Resolved<&'static StreamPolicy>>>,
}

impl NamedStream {
    /// The site of a function whose attribute names `name` and writes `literal`.
    ///
    /// ```
    /// use resilience_core::{named::NamedStream, stream::StreamPolicy};
    ///
    /// static SITE: NamedStream = NamedStream::new("llm", &StreamPolicy::DEFAULT);
    /// # let _ = &SITE;
    /// ```
    pub const fn new(name: &'static str, literal: &'static StreamPolicy) -> Self {
        NamedStream {
            name,
            literal,
            cache: RwLock::new(None),
        }
    }

    /// The policy for the next call: the file's deadlines over the literals.
    ///
    /// ```
    /// use resilience_core::{named::NamedStream, stream::StreamPolicy};
    ///
    /// static SITE: NamedStream = NamedStream::new("unset_name", &StreamPolicy::DEFAULT);
    /// assert_eq!(SITE.get().first(), None);
    /// ```
    pub fn get(&'static self) -> &'static StreamPolicy {
        cached(&self.cache, self.name, "stream", |policy| {
            match policy.and_then(|policy| policy.stream) {
                None => self.literal,
                Some(file) => self.merge(file),
            }
        })
    }

    fn merge(&self, file: StreamFile) -> &'static StreamPolicy {
        let mut builder = StreamPolicy::builder().name(self.literal.name());
        if let Some(first) = file.first.or(self.literal.first()) {
            builder = builder.first(first);
        }
        if let Some(idle) = file.idle.or(self.literal.idle()) {
            builder = builder.idle(idle);
        }
        match builder.build() {
            Ok(policy) => {
                static KEPT: Kept<StreamPolicy> = Kept::new();
                KEPT.intern(policy)
            }
            // The file's deadlines are checked (not zero) as they are read; kept for
            // the builder's rules that may come.
            Err(error) => {
                tracing::warn!(target: "resilience", policy = self.name, %error, "the configuration file's stream settings do not fit this function's; its own apply");
                self.literal
            }
        }
    }
}
