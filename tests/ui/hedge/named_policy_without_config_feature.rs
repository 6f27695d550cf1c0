use resilience::hedge;

#[derive(Debug)]
struct ApiError;

// A named policy reads the configuration file: the `config` feature must be on.
#[hedge(policy = "llm", after = 2s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
