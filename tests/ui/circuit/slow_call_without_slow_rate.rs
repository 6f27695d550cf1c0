use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(slow_call = 20s)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
