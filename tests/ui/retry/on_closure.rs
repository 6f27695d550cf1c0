use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(on = |e| matches!(e, ApiError))]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
