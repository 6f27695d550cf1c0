use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(threshold = 3, min_calls = 10)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
