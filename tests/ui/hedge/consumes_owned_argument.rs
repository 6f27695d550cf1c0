use resilience::hedge;

#[derive(Debug)]
struct ApiError;

#[hedge(after = 1s)]
async fn send(prompt: String) -> Result<usize, ApiError> {
    let owned: String = prompt;
    Ok(owned.len())
}

fn main() {
    let _ = send(String::new());
}
