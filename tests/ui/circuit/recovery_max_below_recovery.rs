use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

#[circuit(recovery = 30s, recovery_max = 10s)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {}
