use resilience::retry;

#[derive(Debug)]
struct ApiError;

fn is_net(_: &ApiError) -> bool {
    true
}

#[retry(on = is_net)]
async fn call() -> Result<u32, ApiError> {
    let _ = is_net;
    Ok(1)
}

fn main() {
    let _ = call();
}
