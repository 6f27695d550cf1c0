use resilience::retry;

struct ApiError;

#[retry(attempts = 3)]
async fn call() -> Result<u32, ApiError> {
    Err(ApiError)
}

fn main() {
    let _ = call();
}
