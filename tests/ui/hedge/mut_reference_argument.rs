use resilience::hedge;

#[derive(Debug)]
struct ApiError;

#[hedge(after = 1s)]
async fn complete(prompt: &str, calls: &mut u32) -> Result<String, ApiError> {
    *calls += 1;
    Ok(prompt.to_owned())
}

fn main() {
    let mut calls = 0;
    let _ = complete("hi", &mut calls);
}
