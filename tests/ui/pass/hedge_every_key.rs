//! Every `#[hedge]` key, with `#[retry(budget = ..)]` in both forms, on functions and methods.
use std::time::Duration;

use resilience::retry::RetryBudget;
use resilience::{circuit, fallback, hedge, retry, timeout, CircuitOpen, TimedOut};

#[derive(Debug, Clone)]
enum ApiError {
    Open,
    Timeout,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError::Timeout
    }
}

static BUDGET: RetryBudget = match RetryBudget::builder().name("ui::budget").build() {
    Ok(budget) => budget,
    Err(_) => panic!(),
};

const AFTER: Duration = Duration::from_millis(250);

async fn replica_b(prompt: &str, n: u32) -> Result<String, ApiError> {
    Ok(format!("{prompt}{n}"))
}

async fn replica_c(prompt: &str, n: u32) -> Result<String, ApiError> {
    Ok(format!("{prompt}{n}"))
}

async fn cache(prompt: &str, n: u32) -> Result<String, ApiError> {
    Ok(format!("{prompt}{n}"))
}

#[fallback(agents = [cache])]
#[timeout(30s)]
#[retry(attempts = 3, budget = "ui::named")]
#[hedge(after = AFTER, agents = [replica_b, replica_c], crate = ::resilience)]
#[circuit(threshold = 5)]
#[timeout(5s)]
async fn everything(prompt: &str, n: u32) -> Result<String, ApiError> {
    Ok(format!("{prompt}{n}"))
}

#[retry(budget = &BUDGET)]
#[hedge(after = 1s, max = 3)]
async fn owned(prompt: String, tags: Vec<String>) -> Result<usize, ApiError> {
    Ok(prompt.len() + tags.len())
}

struct Client {
    budget: RetryBudget,
}

impl Client {
    #[retry(budget = &self.budget)]
    #[hedge(after = 1s)]
    async fn complete<T: AsRef<str> + Sync>(&self, prompt: T) -> Result<usize, ApiError> {
        Ok(prompt.as_ref().len())
    }
}

fn assert_send<F: std::future::Future + Send>(_: F) {}

fn main() {
    assert_send(everything("x", 1));
    assert_send(owned(String::new(), Vec::new()));
    let client = Client {
        budget: RetryBudget::builder().build().unwrap(),
    };
    assert_send(client.complete("x"));
}
