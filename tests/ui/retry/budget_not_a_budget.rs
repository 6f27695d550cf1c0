use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(budget = 20)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = complete("hi");
}
