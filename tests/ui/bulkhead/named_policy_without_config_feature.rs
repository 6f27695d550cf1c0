use resilience::{BulkheadFull, bulkhead};

#[derive(Debug)]
struct ApiError;

impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError
    }
}

// A named policy reads the configuration file: the `config` feature must be on.
#[bulkhead(policy = "llm", max = 4)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
