use resilience::retry;

#[derive(Debug)]
struct ApiError;

trait Llm {
    #[retry(attempts = 3)]
    async fn complete(&self, prompt: &str) -> Result<String, ApiError>;
}

struct Local;

impl Llm for Local {
    async fn complete(&self, prompt: &str) -> Result<String, ApiError> {
        Ok(prompt.to_owned())
    }
}

fn main() {
    let _ = Local.complete("hi");
}
