use my::vendored::resilience::{retry, timeout};

#[retry(attempts = 2, crate = my::vendored::resilience)]
#[timeout(5s)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}

// Only the second attribute names the runtime's path: it still joins the stack.
#[retry]
#[my::vendored::resilience::circuit(crate = my::vendored::resilience)]
fn blocking(prompt: &str) -> Result<String, ApiError> {
    client().send_blocking(prompt)
}
