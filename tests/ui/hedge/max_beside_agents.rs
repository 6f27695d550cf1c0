use resilience::hedge;

#[derive(Debug)]
struct ApiError;

async fn replica_b(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

#[hedge(after = 1s, max = 2, agents = [replica_b])]
async fn complete(prompt: &str) -> Result<String, ApiError> {
    Ok(prompt.to_owned())
}

fn main() {
    let _ = complete("hi");
}
