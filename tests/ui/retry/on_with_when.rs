use resilience::retry;

#[derive(Debug)]
enum ApiError {
    Network,
}

fn is_transient(_: &ApiError) -> bool {
    true
}

#[retry(on = ApiError::Network, when = is_transient)]
async fn call() -> Result<u32, ApiError> {
    Err(ApiError::Network)
}

fn main() {
    let _ = call();
}
