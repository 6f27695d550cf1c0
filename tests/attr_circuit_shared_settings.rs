//! Functions that give one breaker name but different settings: the first one used makes
//! the breaker, and the second is warned about. In its own test binary because
//! `registry::all()` anywhere else in the process would make the breaker (and emit the
//! warning) on another thread, outside this test's capture.
mod common;
#[path = "../resilience-core/tests/support/events.rs"]
#[allow(dead_code)]
mod events;

use common::ApiError;
use resilience::{circuit, registry};

#[circuit(name = "shared-differently", threshold = 2)]
fn agrees() -> Result<(), ApiError> {
    Ok(())
}

#[circuit(name = "shared-differently", threshold = 5)]
fn disagrees() -> Result<(), ApiError> {
    Ok(())
}

#[test]
fn a_shared_name_with_other_settings_is_warned_about() {
    let ((), events) = events::capture(|| {
        agrees().unwrap();
        disagrees().unwrap();
    });
    let warnings: Vec<String> = events.iter().map(events::Event::render).collect();
    assert!(
        warnings.iter().any(|w| w.starts_with("WARN")
            && w.contains("different settings")
            && w.contains("name=shared-differently")),
        "{warnings:?}"
    );
    // The first one used made it: threshold 2.
    assert_eq!(
        registry::circuit("shared-differently").unwrap().threshold(),
        2
    );
}
