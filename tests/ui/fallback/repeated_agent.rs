use resilience::fallback;

#[derive(Debug)]
struct ApiError;

async fn backup(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

#[fallback(agents = [backup, backup])]
async fn call(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = call("hi");
}
