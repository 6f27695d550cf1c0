use resilience::hedge;

#[derive(Debug)]
struct ApiError;

#[hedge(after = 1s, max = 0)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = complete("hi");
}
