use resilience::{circuit, fallback, retry};

#[fallback(agents = [from_disk])]
#[circuit(name = "config-server")]
#[retry(attempts = 3, backoff = "fixed", base = 100ms, jitter = "none")]
fn load_config(key: &str) -> Result<String, ConfigError> {
    http_get(key)
}

#[circuit]
fn consume(request: Request) -> Result<Response, ConfigError> {
    send(request)
}
