use resilience::circuit;

#[derive(Debug)]
struct ApiError;

#[circuit(threshold = 3)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
