use resilience::retry;

#[derive(Debug)]
struct ApiError;

const NONE: u32 = 0;

#[retry(attempts = NONE)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
