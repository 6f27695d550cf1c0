use resilience::rate_limit;

#[derive(Debug)]
struct ApiError;

#[rate_limit(requests = 60)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
