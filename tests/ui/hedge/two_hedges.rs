use resilience::{hedge, retry};

#[derive(Debug)]
struct ApiError;

#[hedge(after = 1s)]
#[retry(attempts = 2)]
#[hedge(after = 500ms)]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = complete("hi");
}
