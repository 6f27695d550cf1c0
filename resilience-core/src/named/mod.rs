//! Named policies from a configuration file (feature `config`).
//!
//! An attribute that names a policy, `#[retry(policy = "llm", attempts = 3)]`, takes its
//! settings from the `[llm.retry]` table of the loaded file, key by key, and its own
//! literals for whatever the file leaves out:
//!
//! ```toml
//! [llm.retry]
//! attempts = 5
//! base = "250ms"       # human durations, as the attributes write them
//! max = "10s"
//!
//! [llm.circuit]        # #[circuit(policy = "llm")]
//! threshold = 5
//! recovery = "30s"
//!
//! [llm.timeout]        # #[timeout(10s, policy = "llm")]
//! after = "30s"
//!
//! [llm.rate_limit]     # #[rate_limit(policy = "llm", requests = 60)]
//! requests = 500
//! per = "1m"
//!
//! [llm.bulkhead]       # #[bulkhead(policy = "llm", max = 8)]
//! max = 16
//!
//! [llm.hedge]          # #[hedge(policy = "llm", after = 2s)]
//! after = "800ms"
//!
//! [llm.stream]         # #[stream(policy = "llm", first = 10s)]
//! first = "5s"
//! idle = "30s"
//! ```
//!
//! - [`load`] reads a file, [`load_str`] a text; loading again (a reload) changes the
//!   settings of the **next** calls of every named site, no restart; a call in flight
//!   keeps the settings it started with. [`watch`] reloads a file whenever it changes.
//! - An unknown key, a bad duration or a value of the wrong type is a [`FileError`]
//!   naming the file, line and key, and nothing of that file is applied.
//! - A missing file, or a file without the name: the attribute's literals apply, with a
//!   warning event (target `resilience`), once per name, pattern and load.
//! - Patterns: `retry` (`attempts`, `backoff`, `base`, `factor`, `max`, `jitter`,
//!   `max_elapsed`), `circuit` (`threshold`, `recovery`, `recovery_max`,
//!   `success_threshold`, `probes`; see [`NamedBreaker`] for what a reload does to a
//!   breaker's state), `timeout` (`after`) and `rate_limit` (`requests`, `tokens`,
//!   `per`, `burst`, `max_wait`; see [`NamedLimiter`]), `bulkhead` (`max`, `queue`,
//!   `max_wait`; see [`NamedBulkhead`]), `hedge` (`after`, `max`; see [`NamedHedge`])
//!   and `stream` (`first`, `idle`; see [`NamedStream`]).
//!
//! Each named site resolves its name once per load (a read lock and a generation check
//! per call afterwards); the policies a file makes are kept for the life of the process,
//! one per distinct setting, so reloads do not grow memory.
//!
//! ```rust,standalone_crate
//! use resilience_core::named;
//!
//! named::load_str("app.toml", "[summarize.retry]\nattempts = 4\n")?;
//! let err = named::load_str("app.toml", "[summarize.retry]\nattempts = 4\nmax = 10\n").unwrap_err();
//! assert_eq!(err.to_string(), "app.toml:3: `summarize.retry.max`: expected a duration string such as \"250ms\", found an integer");
//! # Ok::<(), resilience_core::named::FileError>(())
//! ```

mod breaker;
mod bulkhead;
mod duration;
mod error;
mod hedge;
mod limiter;
mod parse;
mod protection;
mod site;
mod store;
mod stream;
mod watch;

use std::path::Path;

pub use breaker::NamedBreaker;
pub use bulkhead::NamedBulkhead;
pub use error::FileError;
pub use hedge::NamedHedge;
pub use limiter::NamedLimiter;
pub use parse::Policies;
pub use site::{NamedRetry, NamedTimeout};
pub use stream::NamedStream;
pub use watch::{Watch, WatchError, watch};

/// Loads `path` and makes its policies the ones named sites use from their next call.
///
/// A file that does not exist is not an error: a warning event says so and the
/// attributes' literals apply (the policies loaded before, if any, are dropped). A file
/// that cannot be read or parsed is an error, and what was loaded before stays.
///
/// ```rust,standalone_crate
/// use resilience_core::named;
///
/// let dir = std::env::temp_dir().join(format!("resilience-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("policies.toml");
/// std::fs::write(&path, "[llm.timeout]\nafter = \"2s\"\n").unwrap();
/// let loaded = named::load(&path)?;
/// assert_eq!(loaded.names().collect::<Vec<_>>(), ["llm"]);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), named::FileError>(())
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<Policies, FileError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&file, &text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(target: "resilience", file, "configuration file not found; the attributes' own settings apply");
            store::replace(&file, Policies::default());
            Ok(Policies::default())
        }
        Err(error) => Err(FileError::new(
            &file,
            "",
            0,
            String::new(),
            error.to_string(),
        )),
    }
}

/// Loads `text` as the contents of `file` (named in errors and events).
///
/// ```rust,standalone_crate
/// use resilience_core::named;
///
/// let loaded = named::load_str("inline.toml", "[llm.retry]\nattempts = 2\n")?;
/// assert_eq!(loaded.names().count(), 1);
/// # Ok::<(), named::FileError>(())
/// ```
pub fn load_str(file: &str, text: &str) -> Result<Policies, FileError> {
    let policies = Policies::parse(file, text)?;
    store::replace(file, policies.clone());
    Ok(policies)
}
