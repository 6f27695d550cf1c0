use resilience::{circuit, fallback, retry, timeout};

#[fallback(agents = [gpt35, local_llm])]
#[circuit(threshold = 3, recovery = 30s, success_threshold = 2)]
#[retry(attempts = 4, backoff = "exp", max = 10s, on = ApiError::Network | ApiError::RateLimited { .. })]
#[timeout(10s)]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
