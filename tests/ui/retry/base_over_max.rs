use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(base = 20s, max = 10s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
