//! [`watch`]: a configuration file reloaded whenever it changes, no restart and no
//! signal handler of your own.

use core::time::Duration;
use std::path::{Path, PathBuf};

use tokio::task::JoinHandle;

use super::{FileError, load, load_str};

/// Why [`watch`] could not start.
///
/// ```
/// use std::time::Duration;
/// use resilience_core::named::{self, WatchError};
///
/// // Outside a tokio runtime there is nowhere to check the file from.
/// let err = named::watch("resilience.toml", Duration::from_secs(1)).unwrap_err();
/// assert!(matches!(err, WatchError::NoRuntime));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The file exists but cannot be used: nothing of it was applied.
    #[error(transparent)]
    File(#[from] FileError),
    /// `every` was zero.
    #[error("`every` must be longer than zero: it is how often the file is read")]
    ZeroInterval,
    /// Called outside a tokio runtime.
    #[error(
        "`named::watch` needs a tokio runtime: call it from async code, or inside `Runtime::enter`"
    )]
    NoRuntime,
}

/// Loads `path` now, then again whenever its contents change, read every `every`, until
/// the returned [`Watch`] is dropped: the next calls of every named site use what it
/// says, as after [`load`].
///
/// - At start: a file that cannot be used is an error (nothing applied, nothing
///   watched); a missing file is what [`load`] makes of it (the literals, a warning), and
///   it is picked up when it appears.
/// - Later: a change that cannot be used (a bad duration, an unknown key, an editor's
///   half-written file) is a warning event naming file, line and key, and the policies
///   loaded last stay; so does a file that disappears (an editor saving by rename). Each
///   is said once, until the contents change again. A reload is an `info` event.
///
/// ```rust,standalone_crate
/// use std::time::Duration;
/// use resilience_core::{named::{self, NamedRetry}, retry::RetryPolicy};
///
/// static SITE: NamedRetry = NamedRetry::new("llm", &RetryPolicy::DEFAULT);
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), named::WatchError> {
/// let path = std::env::temp_dir().join(format!("resilience-watch-doc-{}.toml", std::process::id()));
/// std::fs::write(&path, "[llm.retry]\nattempts = 2\n").unwrap();
/// let watching = named::watch(&path, Duration::from_secs(1))?; // keep it while reloads are wanted
/// assert_eq!(SITE.get().attempts(), 2);
///
/// std::fs::write(&path, "[llm.retry]\nattempts = 5\n").unwrap();
/// tokio::time::sleep(Duration::from_millis(1_500)).await; // read again at 1 s
/// assert_eq!(SITE.get().attempts(), 5);
/// drop(watching);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok(())
/// # }
/// ```
pub fn watch(path: impl AsRef<Path>, every: Duration) -> Result<Watch, WatchError> {
    if every.is_zero() {
        return Err(WatchError::ZeroInterval);
    }
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| WatchError::NoRuntime)?;
    let path = path.as_ref().to_path_buf();
    // Read once: what is loaded is what later reads are compared with.
    let last = match std::fs::read_to_string(&path) {
        Ok(text) => {
            load_str(&path.display().to_string(), &text)?;
            Some(text)
        }
        // Missing: the literals, with a warning; unreadable: the error.
        Err(_) => {
            load(&path)?;
            None
        }
    };
    let task = runtime.spawn(rereads(path, every, last));
    Ok(Watch { task })
}

/// A file being watched ([`watch`]); dropping it stops the reloads (what was loaded
/// stays).
///
/// ```
/// # use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let missing = std::env::temp_dir().join("resilience-watch-doc-missing.toml");
/// let watching = resilience_core::named::watch(&missing, Duration::from_secs(5)).unwrap();
/// drop(watching); // no more reads
/// # });
/// ```
#[derive(Debug)]
#[must_use = "the file is watched only while the `Watch` lives"]
pub struct Watch {
    task: JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads `path` every `every` and loads what changed. `last`: the contents read last
/// (`None`: no file then).
async fn rereads(path: PathBuf, every: Duration, mut last: Option<String>) {
    let file = path.display().to_string();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = std::fs::read_to_string(&path);
        match now {
            Ok(text) if last.as_deref() == Some(text.as_str()) => {}
            Ok(text) => {
                match load_str(&file, &text) {
                    Ok(_) => tracing::info!(target: "resilience", file, "configuration reloaded"),
                    Err(error) => {
                        tracing::warn!(target: "resilience", file, %error, "configuration file changed but cannot be used; the policies loaded last stay")
                    }
                }
                last = Some(text);
            }
            Err(error) => {
                if last.take().is_some() {
                    tracing::warn!(target: "resilience", file, %error, "configuration file cannot be read; the policies loaded last stay");
                }
            }
        }
    }
}
