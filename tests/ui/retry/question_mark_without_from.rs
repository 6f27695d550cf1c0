use resilience::retry;

#[derive(Debug)]
enum ApiError {
    Io(std::io::Error),
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        ApiError::Io(e)
    }
}

#[retry(attempts = 3)]
async fn call(text: &str) -> Result<u32, ApiError> {
    let n: u32 = text.parse()?;
    Ok(n)
}

fn main() {
    let _ = call("1");
}
