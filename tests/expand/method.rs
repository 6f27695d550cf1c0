use resilience::{circuit, retry};

impl Client {
    #[retry(attempts = 3, retry_after = ApiError::retry_after)]
    #[circuit(breaker = &BREAKER)]
    pub async fn complete(&mut self, prompt: &str) -> Result<String, ApiError> {
        self.requests += 1;
        self.http.send(prompt).await
    }
}
