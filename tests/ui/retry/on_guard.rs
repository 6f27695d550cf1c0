use resilience::retry;

#[derive(Debug)]
enum ApiError {
    Status(u16),
}

#[retry(on = ApiError::Status(s) if s >= 500)]
async fn call() -> Result<u32, ApiError> {
    Err(ApiError::Status(503))
}

fn main() {
    let _ = call();
}
