use resilience::{fallback, retry, stream, stream::Stream};

#[retry(attempts = 3)]
#[stream(first = 10s, idle = 30s)]
async fn chat(prompt: &str) -> Result<impl Stream<Item = Result<Chunk, ApiError>>, ApiError> {
    client().stream(prompt).await
}

#[fallback(agents = [claude])]
#[stream(first = 5s)]
async fn gpt(prompt: &str) -> Result<impl Stream<Item = Result<Chunk, ApiError>>, ApiError> {
    client().stream(prompt).await
}
