use resilience::{hedge, retry, timeout};

#[retry(attempts = 3, budget = "llm")]
#[hedge(after = 2s, agents = [replica_b])]
#[timeout(10s)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
