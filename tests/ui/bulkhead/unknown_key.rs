use resilience::{BulkheadFull, bulkhead};

#[derive(Debug)]
struct ApiError;

impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError
    }
}

#[bulkhead(max = 10, queue_size = 5)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
