#[path = "support/mod.rs"]
mod support;

use support::{ApiError, Chunks};

#[resilience::stream(first = 10s)]
async fn chat() -> Result<Chunks, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}