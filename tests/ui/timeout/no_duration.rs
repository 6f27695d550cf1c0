use resilience::{TimedOut, timeout};

#[derive(Debug)]
struct ApiError;

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError
    }
}

#[timeout]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
