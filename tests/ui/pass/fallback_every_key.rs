//! Every key of `#[fallback]`, with free functions and `Self::method` agents.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::fallback;
use support::{ApiError, is_transient};

async fn gpt35(prompt: &str) -> Result<String, ApiError> {
    Ok(format!("gpt35: {prompt}"))
}

mod local {
    use super::ApiError;

    pub async fn llm(prompt: &str) -> Result<String, ApiError> {
        Ok(format!("local: {prompt}"))
    }
}

#[fallback(agents = [gpt35, local::llm])]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    Err(ApiError::Http(prompt.len() as u16))
}

#[fallback(agents = [gpt35], on = ApiError::Network | ApiError::Timeout(_), crate = ::resilience)]
async fn on_pattern(prompt: &str) -> Result<String, ApiError> {
    Err(ApiError::Http(prompt.len() as u16))
}

#[fallback(agents = [local::llm], when = is_transient)]
async fn when_predicate(prompt: &str) -> Result<String, ApiError> {
    Err(ApiError::Http(prompt.len() as u16))
}

struct Router {
    calls: u32,
}

impl Router {
    async fn cached(&mut self, prompt: &str, budget: u32) -> Result<String, ApiError> {
        self.calls += budget;
        Ok(prompt.to_owned())
    }

    // `&mut self` is reborrowed for the agent, the owned `u32` copied.
    #[fallback(agents = [Self::cached])]
    async fn complete(&mut self, prompt: &str, budget: u32) -> Result<String, ApiError> {
        self.calls += 1;
        Err(ApiError::Http((prompt.len() as u32 + budget) as u16))
    }

    fn offline(text: String) -> Result<String, ApiError> {
        Ok(text)
    }

    // An owned `String` is cloned for the agent.
    #[fallback(agents = [Self::offline])]
    fn blocking(text: String) -> Result<String, ApiError> {
        Err(ApiError::Http(text.len() as u16))
    }
}

fn main() {
    let _ = gpt4("hi");
    let _ = on_pattern("hi");
    let _ = when_predicate("hi");
    let mut router = Router { calls: 0 };
    let _ = router.complete("hi", 3);
    let _: fn(String) -> Result<String, ApiError> = Router::blocking;
}
