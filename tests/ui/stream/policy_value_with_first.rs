#[path = "support/mod.rs"]
mod support;

use resilience::stream::Stream;
use support::{ApiError, Chunks};

static CHAT: resilience::stream::StreamPolicy = resilience::stream::StreamPolicy::DEFAULT;

// An existing policy is whole: `first` belongs where it is built.
#[resilience::stream(policy = &CHAT, first = 10s)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}