use resilience::fallback;

#[derive(Debug)]
struct ApiError;

async fn backup(_prompt: &str) -> Result<u32, ApiError> {
    Ok(1)
}

#[fallback(agents = [backup])]
async fn primary(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = primary("hi");
}
