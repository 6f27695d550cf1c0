#[path = "support/mod.rs"]
mod support;

use resilience::stream::Stream;
use support::{ApiError, Chunks};

// A named policy reads the configuration file: the `config` feature must be on.
#[resilience::stream(policy = "chat", first = 10s)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}