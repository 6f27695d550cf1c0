use resilience::circuit;

#[circuit(threshold = 3, recovery = 30s, success_threshold = 2, when = is_server_error)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
