//! The named-policies example's story on the paused clock: the shipped
//! `resilience.toml` parses, names `llm`, and turns the literals' two attempts into four
//! at exact instants; loading other settings changes the next call.

use std::sync::atomic::Ordering;
use std::time::Duration;

use resilience::named;
use resilience_ecosystem::named_app::{ApiError, Backend, POLICIES, complete};
use tokio::time::Instant;

/// One call against a backend failing three times: its answer, how many requests it
/// made, and how long it took.
async fn call() -> (Result<String, ApiError>, u32, Duration) {
    let backend = Backend {
        failures: 3,
        ..Backend::default()
    };
    let start = Instant::now();
    let answer = complete(&backend, "hi").await;
    (
        answer,
        backend.requests.load(Ordering::SeqCst),
        start.elapsed(),
    )
}

#[tokio::test(start_paused = true)]
async fn the_shipped_file_turns_two_attempts_into_four_and_a_reload_changes_the_next_call() {
    let text = std::fs::read_to_string(POLICIES).unwrap();
    let parsed = named::Policies::parse(POLICIES, &text).unwrap();
    assert_eq!(parsed.names().collect::<Vec<_>>(), ["llm"]);

    assert_eq!(
        call().await,
        (Err(ApiError::Overloaded), 2, Duration::from_millis(100)),
        "the literals: two attempts, 100 ms apart"
    );

    named::load(POLICIES).unwrap();
    assert_eq!(
        call().await,
        (Ok("echo: hi".to_owned()), 4, Duration::from_millis(1_750)),
        "the file: four attempts, 250 ms doubling"
    );

    named::load_str(POLICIES, &text.replace("attempts = 4", "attempts = 2")).unwrap();
    assert_eq!(
        call().await,
        (Err(ApiError::Overloaded), 2, Duration::from_millis(250)),
        "reloaded: two attempts with the file's base"
    );
}
