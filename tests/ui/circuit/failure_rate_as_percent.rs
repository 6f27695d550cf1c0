use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(failure_rate = 50)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
