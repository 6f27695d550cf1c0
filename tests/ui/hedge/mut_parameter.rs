use resilience::hedge;

#[derive(Debug)]
struct ApiError;

#[hedge(after = 1s)]
async fn complete(mut prompt: String) -> Result<String, ApiError> {
    prompt.push('!');
    Ok(prompt)
}

fn main() {
    let _ = complete(String::new());
}
