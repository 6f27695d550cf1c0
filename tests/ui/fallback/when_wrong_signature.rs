use resilience::fallback;

#[derive(Debug)]
struct ApiError;

fn falls_back(_: &ApiError, _: u8) -> bool {
    true
}

async fn backup() -> Result<u32, ApiError> {
    Ok(2)
}

#[fallback(agents = [backup], when = falls_back)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
