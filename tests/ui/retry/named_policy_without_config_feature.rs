use resilience::retry;

#[derive(Debug)]
struct ApiError;

// A named policy reads the configuration file: the `config` feature must be on.
#[retry(policy = "llm", attempts = 3)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
