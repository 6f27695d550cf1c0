use resilience::retry;

#[derive(Debug)]
struct ApiError;

#[retry(attempts = 3)]
async fn send(prompt: String) -> Result<usize, ApiError> {
    let owned: String = prompt;
    Ok(owned.len())
}

fn main() {
    let _ = send(String::new());
}
