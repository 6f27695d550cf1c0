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

static CHAT: resilience::stream::StreamPolicy = resilience::stream::StreamPolicy::DEFAULT;

// An existing policy is whole: `first` belongs where it is built.
#[resilience::stream(policy = &CHAT, first = 10s)]
async fn chat() -> Result<impl Stream<Item = Result<String, ApiError>>, ApiError> {
    Ok(Chunks)
}

fn main() {
    let _ = chat();
}