use resilience::hedge;

#[derive(Debug)]
struct ApiError;

struct Client {
    calls: u32,
}

impl Client {
    #[hedge(after = 1s)]
    async fn complete(&mut self, prompt: &str) -> Result<String, ApiError> {
        self.calls += 1;
        Ok(prompt.to_owned())
    }
}

fn main() {
    let mut client = Client { calls: 0 };
    let _ = client.complete("hi");
}
