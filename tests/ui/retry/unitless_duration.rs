use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(max = 10)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
