use resilience::{retry, timeout};

#[derive(Debug)]
struct ApiError;

#[retry(crate = ::resilience)]
#[timeout(1s, crate = resilience)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
