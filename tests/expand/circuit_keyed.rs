use resilience::circuit;

#[circuit(failure_rate = 0.5, window = 30s, key = model, retry_after = ApiError::retry_after)]
async fn complete(model: &str, prompt: &str) -> Result<String, ApiError> {
    client().send(model, prompt).await
}

impl Provider {
    #[circuit(threshold = 3)]
    async fn chat(&self, prompt: &str) -> Result<String, ApiError> {
        self.client.send(prompt).await
    }
}
