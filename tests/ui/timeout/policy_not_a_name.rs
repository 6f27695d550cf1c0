use resilience::timeout;

#[derive(Debug)]
struct ApiError;

impl From<resilience::TimedOut> for ApiError {
    fn from(_: resilience::TimedOut) -> Self {
        ApiError
    }
}

const LLM: &str = "llm";

#[timeout(10s, policy = LLM)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
