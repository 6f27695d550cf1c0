use resilience::{retry, timeout};

// Bad arguments: the errors are emitted and the function is kept as written, so its
// callers still compile.
#[retry(attempts = 0, bakoff = "exp")]
#[timeout(10sec)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
