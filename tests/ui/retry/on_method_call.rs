use resilience::retry;

#[derive(Debug)]
struct ApiError;

impl ApiError {
    fn is_net(&self) -> bool {
        true
    }
}

#[retry(on = e.is_net())]
async fn call() -> Result<u32, ApiError> {
    let _ = ApiError.is_net();
    Ok(1)
}

fn main() {
    let _ = call();
}
