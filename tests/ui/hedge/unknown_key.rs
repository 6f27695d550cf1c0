use resilience::hedge;

#[derive(Debug)]
struct ApiError;

#[hedge(afer = 1s)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = complete("hi");
}
