use resilience::retry;

#[derive(Debug)]
struct ApiError;

fn is_transient(_: ApiError) -> bool {
    true
}

#[retry(when = is_transient)]
async fn call() -> Result<u32, ApiError> {
    Err(ApiError)
}

fn main() {
    let _ = call();
}
