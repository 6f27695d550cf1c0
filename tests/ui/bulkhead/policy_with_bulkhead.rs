use resilience::{Bulkhead, BulkheadFull, ConfigError, bulkhead};

#[derive(Debug)]
struct ApiError;

impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError
    }
}

static POOL: Bulkhead = Bulkhead::new(ConfigError::unwrap_const(Bulkhead::builder().max(4).settings()));

// A named policy makes its bulkhead from the file; an existing bulkhead cannot come with it.
#[bulkhead(policy = "llm", bulkhead = &POOL)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
