use resilience::rate_limit;

#[rate_limit(requests = 500, per = 1m, key = model, max_keys = 64, name = "openai")]
async fn complete(model: &str, prompt: &str) -> Result<Reply, ApiError> {
    client().send(model, prompt).await
}
