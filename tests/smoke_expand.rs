use resilience::{circuit, fallback, retry, timeout, CircuitOpen, TimedOut};

#[derive(Debug, Clone, PartialEq)]
enum ApiError { Network, Bad, Open(CircuitOpen), Timeout(TimedOut) }
impl From<CircuitOpen> for ApiError { fn from(e: CircuitOpen) -> Self { ApiError::Open(e) } }
impl From<TimedOut> for ApiError { fn from(e: TimedOut) -> Self { ApiError::Timeout(e) } }

async fn gpt35(prompt: &str) -> Result<String, ApiError> { Ok(format!("35:{prompt}")) }
async fn local_llm(prompt: &str) -> Result<String, ApiError> { Ok(format!("local:{prompt}")) }

#[fallback(agents = [gpt35, local_llm])]
#[circuit(threshold = 3, recovery = 30s, success_threshold = 2)]
#[retry(attempts = 4, backoff = "exp", max = 10s, on = ApiError::Network | ApiError::Timeout(_))]
#[timeout(10s)]
async fn gpt4(prompt: &str) -> Result<String, ApiError> {
    let _ = prompt;
    Err(ApiError::Bad)
}

struct Client { n: u32 }
impl Client {
    #[retry(attempts = 3)]
    async fn call(&mut self, owned: String) -> Result<usize, ApiError> {
        self.n += 1;
        if self.n < 3 { return Err(ApiError::Network); }
        let v: usize = "1".parse().map_err(|_| ApiError::Bad)?;
        Ok(owned.len() + v)
    }
    #[timeout(1s)]
    async fn consume(&self, owned: String) -> Result<String, ApiError> { Ok(owned) }

    #[retry(attempts = 2)]
    fn blocking(&mut self) -> Result<u32, ApiError> { self.n += 1; Ok(self.n) }
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn compiles() {
    let f = gpt4("x");
    assert_send(&f);
    let mut c = Client { n: 0 };
    let g = c.call(String::new());
    assert_send(&g);
    drop(g);
    assert_eq!(c.blocking(), Ok(1));
    let _ = c.consume(String::new());
}
