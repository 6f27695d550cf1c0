use resilience::fallback;

#[derive(Debug)]
struct ApiError;

fn backup(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

#[fallback(agents = [backup])]
async fn primary(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = primary("hi");
}
