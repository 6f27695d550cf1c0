use resilience::{circuit, CircuitOpen};

#[derive(Debug)]
enum ApiError {
    Open(CircuitOpen),
}

impl From<CircuitOpen> for ApiError {
    fn from(e: CircuitOpen) -> Self {
        ApiError::Open(e)
    }
}

fn counts(_: &str) -> bool {
    true
}

#[circuit(when = counts)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
