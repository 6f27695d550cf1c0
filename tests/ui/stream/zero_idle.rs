#[path = "support/mod.rs"]
mod support;

use resilience::stream::Stream;
use support::{ApiError, Chunks};

#[resilience::stream(first = 10s, idle = 0s)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}