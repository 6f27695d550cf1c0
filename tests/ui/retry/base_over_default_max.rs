use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(backoff = "fixed", base = 30s)]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    let _ = call();
}
