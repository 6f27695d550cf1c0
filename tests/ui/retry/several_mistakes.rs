use resilience::retry;

#[derive(Debug)]
struct ApiError;

// Every mistake is reported in one compile.
#[retry(attempts = 0, bakoff = "exp", attempts = 2, max = 10sec, jitter = "random")]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
