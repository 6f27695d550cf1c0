use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(attempts = 3, attempts = 4)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
