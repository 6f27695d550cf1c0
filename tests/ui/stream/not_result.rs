#[path = "support/mod.rs"]
mod support;

use resilience::stream::Stream;
use support::{ApiError, Chunks};

#[resilience::stream(first = 10s)]
async fn chat() -> impl Stream<Item = Result<String, ApiError>> {
    Chunks
}

fn main() {
    let _ = chat();
}