use resilience::timeout;

#[derive(Debug)]
struct ApiError;

#[timeout(10s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
