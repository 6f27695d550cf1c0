use resilience::{CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;
impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

struct Model;

#[circuit(key = model)]
async fn call(model: Model) -> Result<(), ApiError> {
    let _ = model;
    Ok(())
}

fn main() {}
