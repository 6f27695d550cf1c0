use resilience::hedge;

#[derive(Debug)]
struct ApiError;

const LLM: &str = "llm";

// `policy = EXPR` is an existing `&HedgePolicy`; a policy in the file is named by a
// string literal (`policy = "llm"`).
#[hedge(policy = LLM)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
