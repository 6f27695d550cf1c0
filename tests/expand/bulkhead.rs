use resilience::bulkhead;

#[bulkhead(max = 10, queue = 100, name = "embeddings")]
fn embed(text: &str) -> Result<Vec<f32>, ApiError> {
    client().embed(text)
}
