use resilience::retry;

#[retry(attempts = 4, backoff = "exp", base = 250ms, max = 10s, on = ApiError::Network | ApiError::RateLimited { .. })]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
