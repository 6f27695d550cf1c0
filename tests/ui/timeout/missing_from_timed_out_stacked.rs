use resilience::{retry, timeout};

#[derive(Debug)]
struct ApiError;

#[retry(attempts = 3)]
#[timeout(10s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
