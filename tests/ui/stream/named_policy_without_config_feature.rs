use resilience::stream::Stream;
use resilience::{EmptyStream, TimedOut};

#[derive(Debug)]
struct ApiError;
impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError
    }
}
impl From<EmptyStream> for ApiError {
    fn from(_: EmptyStream) -> Self {
        ApiError
    }
}

struct Chunks;
impl Stream for Chunks {
    type Item = Result<String, ApiError>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(None)
    }
}

// A named policy reads the configuration file: the `config` feature must be on.
#[resilience::stream(policy = "chat", first = 10s)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}