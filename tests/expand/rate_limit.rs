use resilience::{bulkhead, rate_limit, retry};

#[rate_limit(requests = 500, tokens = 200_000, per = 1m, cost = estimate, usage = tokens_used)]
async fn complete(prompt: &str, max_tokens: u32) -> Result<Reply, ApiError> {
    client().send(prompt, max_tokens).await
}

#[retry(attempts = 3)]
#[rate_limit(limiter = &OPENAI, cost = Self::estimate)]
#[bulkhead(max = 8, queue = 32, max_wait = 5s)]
async fn chat(&self, messages: Vec<Message>) -> Result<Reply, ApiError> {
    self.client.send(&messages).await
}
