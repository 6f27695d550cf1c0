use resilience::fallback;

#[fallback(agents = [gpt35, local::llm], on = ApiError::Network)]
async fn gpt4(prompt: &str, max_tokens: u32) -> Result<String, ApiError> {
    client().send(prompt, max_tokens).await
}
