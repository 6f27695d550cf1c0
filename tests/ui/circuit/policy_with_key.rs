use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

// A named policy makes one breaker per function; a breaker per key cannot come with it.
#[circuit(policy = "llm", key = model)]
async fn call(model: &str) -> Result<usize, ApiError> {
    Ok(model.len())
}

fn main() {
    let _ = call("gpt");
}
