use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(max_keys = 100)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
