use resilience::{CircuitBreaker, CircuitOpen, circuit};

#[derive(Debug)]
struct ApiError;

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError
    }
}

static SHARED: CircuitBreaker = match CircuitBreaker::builder().name("shared").build() {
    Ok(breaker) => breaker,
    Err(_) => panic!(),
};

#[circuit(breaker = &SHARED, threshold = 5, recovery = 10s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = &SHARED;
    let _ = call();
}
