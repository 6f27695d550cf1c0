use resilience::bulkhead;

#[derive(Debug)]
struct ApiError;

#[bulkhead(max = 4)]
fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
