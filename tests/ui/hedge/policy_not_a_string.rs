use resilience::hedge;

#[derive(Debug)]
struct ApiError;

const LLM: &str = "llm";

// A policy is named by a string literal (the name is looked up in the file at run time).
#[hedge(policy = LLM, after = 2s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
