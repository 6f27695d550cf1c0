//! Settings by name from a file, reloaded while the program runs.
//!
//! `cargo run -p resilience-ecosystem --example named_policies`: a call whose backend
//! fails three times, first with the attribute's literals (two attempts: it fails), then
//! with `resilience.toml` watched (four attempts: it answers), then after the watched
//! file changes to `attempts = 2` (it fails again), without a restart. The shipped file
//! is copied to a temporary one so that the example can edit it.

use std::time::{Duration, Instant};

use resilience::named;
use resilience_ecosystem::named_app::{Backend, POLICIES, complete};

async fn call(when: &str) {
    let backend = Backend {
        failures: 3,
        ..Backend::default()
    };
    let start = Instant::now();
    let answer = complete(&backend, "hello").await;
    println!(
        "{when}: {answer:?} after {} request(s), {:.2}s",
        backend.requests.into_inner(),
        start.elapsed().as_secs_f64()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    call("the attribute's literals").await;

    let copy = std::env::temp_dir().join(format!("resilience-example-{}.toml", std::process::id()));
    std::fs::copy(POLICIES, &copy)?;
    let watching = named::watch(&copy, Duration::from_millis(200))?;
    call("resilience.toml").await;

    let edited = std::fs::read_to_string(&copy)?.replace("attempts = 4", "attempts = 2");
    std::fs::write(&copy, edited)?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    call("after editing it to attempts = 2").await;

    drop(watching);
    std::fs::remove_file(&copy)?;
    Ok(())
}
