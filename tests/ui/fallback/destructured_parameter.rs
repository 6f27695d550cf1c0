use resilience::fallback;

#[derive(Debug)]
struct ApiError;

struct Request {
    prompt: String,
}

async fn backup(request: Request) -> Result<String, ApiError> {
    Ok(request.prompt)
}

#[fallback(agents = [backup])]
async fn call(Request { prompt }: Request) -> Result<String, ApiError> {
    Ok(prompt)
}

fn main() {
    let _ = call(Request {
        prompt: String::new(),
    });
}
