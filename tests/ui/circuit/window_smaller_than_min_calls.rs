use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(failure_rate = 0.5, min_calls = 20, window = 10)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
