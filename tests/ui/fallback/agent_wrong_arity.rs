use resilience::fallback;

#[derive(Debug)]
struct ApiError;

async fn backup(prompt: &str, budget: u32) -> Result<String, ApiError> {
    Ok(format!("{prompt}{budget}"))
}

#[fallback(agents = [backup])]
async fn primary(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = primary("hi");
}
