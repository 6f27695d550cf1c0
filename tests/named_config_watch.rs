//! `named::watch` (feature `config`): a file reloaded when it changes, read every second
//! on the paused clock; a change that cannot be used, or a file that disappears, keeps
//! what was loaded last, with one warning; dropping the watch stops the reloads.
#![cfg(feature = "config")]

mod common;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use common::capture::{Record, warnings};
use common::{ApiError, secs};
use resilience::{named, retry};

static CALLS: Record = Record(Mutex::new(Vec::new()));

#[retry(policy = "watched", attempts = 1, base = 1ms, jitter = "none")]
async fn watched() -> Result<(), ApiError> {
    CALLS.hit();
    Err(ApiError::Network)
}

/// How many attempts a call of `watched` makes now (a few milliseconds of retries, so the
/// test stays between the watch's reads).
async fn attempts() -> usize {
    let _ = watched().await;
    CALLS.take().len()
}

/// A file of this test's own, removed at the end.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "resilience-named-watch-{}.toml",
            std::process::id()
        ));
        TempFile(path)
    }

    fn write(&self, attempts: &str) {
        std::fs::write(&self.0, format!("[watched.retry]\nattempts = {attempts}\n")).unwrap();
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Half a read interval: the watch reads at whole seconds, the test acts between them.
async fn half_a_second() {
    tokio::time::sleep(secs(0.5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_watched_file_is_reloaded_when_it_changes_and_kept_when_a_change_is_broken() {
    let (seen, _guard) = warnings();
    let file = TempFile::new();
    file.write("2");
    let watching = named::watch(&file.0, Duration::from_secs(1)).unwrap();
    assert_eq!(attempts().await, 2, "loaded at once");

    file.write("3");
    assert_eq!(attempts().await, 2, "not read again yet");
    half_a_second().await;
    half_a_second().await;
    half_a_second().await;
    assert_eq!(attempts().await, 3, "read again at the next second");

    file.write("\"many\"");
    half_a_second().await;
    half_a_second().await;
    assert_eq!(
        attempts().await,
        3,
        "a broken change keeps the last policies"
    );

    std::fs::remove_file(&file.0).unwrap();
    for _ in 0..4 {
        half_a_second().await;
    }
    assert_eq!(attempts().await, 3, "and so does a file that is gone");

    file.write("4");
    half_a_second().await;
    half_a_second().await;
    assert_eq!(attempts().await, 4, "back: read again");

    drop(watching);
    file.write("5");
    for _ in 0..4 {
        half_a_second().await;
    }
    assert_eq!(attempts().await, 4, "no reloads once the watch is dropped");

    let warned: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("configuration file"))
        .cloned()
        .collect();
    assert_eq!(
        warned,
        [
            "configuration file changed but cannot be used; the policies loaded last stay",
            "configuration file cannot be read; the policies loaded last stay",
        ],
        "each said once"
    );
}

#[tokio::test(start_paused = true)]
async fn watch_refuses_a_zero_interval_and_a_broken_file_at_start() {
    assert!(matches!(
        named::watch("any.toml", Duration::ZERO),
        Err(named::WatchError::ZeroInterval)
    ));
    let file = TempFile(std::env::temp_dir().join(format!(
        "resilience-named-watch-broken-{}.toml",
        std::process::id()
    )));
    std::fs::write(&file.0, "[watched.retry]\nattempts = 0\n").unwrap();
    let err = named::watch(&file.0, Duration::from_secs(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: `watched.retry.attempts`: must be a whole number from 1 to 4294967295, found 0",
            file.0.display()
        )
    );
}
