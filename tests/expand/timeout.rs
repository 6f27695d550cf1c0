use resilience::timeout;

#[timeout(1.5s)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
