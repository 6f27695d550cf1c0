// What `#[async_trait]` on the impl hands to a method attribute: a plain fn
// returning a pinned, boxed future (written out here without the crate).
use resilience::retry;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug)]
struct ApiError;

trait Llm {
    fn complete<'a>(
        &'a self,
        prompt: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<String, ApiError>> + Send + 'a>>;
}

struct Client;

impl Llm for Client {
    #[retry(attempts = 3)]
    fn complete<'a>(
        &'a self,
        prompt: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<String, ApiError>> + Send + 'a>> {
        Box::pin(async move { Ok(prompt.to_owned()) })
    }
}

fn main() {
    let _ = Client.complete("hi");
}
