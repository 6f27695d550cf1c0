use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(attempts = 3)]
async fn call() -> Result<u32, ApiError> {
    Ok("one")
}

#[retry(attempts = 3)]
fn call_blocking() -> Result<u32, ApiError> {
    Ok("one")
}

fn main() {
    let _ = call();
    let _ = call_blocking();
}
