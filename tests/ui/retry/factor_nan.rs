use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(factor = f64::NAN)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
