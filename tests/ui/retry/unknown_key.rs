use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(attemps = 3)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
