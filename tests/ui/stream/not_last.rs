#[path = "support/mod.rs"]
mod support;

use resilience::stream::Stream;
use support::{ApiError, Chunks};

#[resilience::stream(first = 10s)]
#[resilience::retry(attempts = 3)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}