use resilience::{retry, timeout};
async fn complete(prompt: &str) -> Result<String, ApiError> {
    client().send(prompt).await
}
::core::compile_error! {
    "`attempts` counts every call, the first included, so it must be at least 1; write `attempts = 1` for no retries"
}
::core::compile_error! {
    "unknown `#[retry]` argument `bakoff`; did you mean `backoff`? (expected one of `attempts`, `backoff`, `base`, `factor`, `max`, `jitter`, `max_elapsed`, `seed`, `on`, `when`, `retry_after`, `policy`, `attempt`, `budget`, `crate`)"
}
::core::compile_error! {
    "unknown duration unit `sec`; expected `us`, `ms`, `s`, `m` or `h`; write `10s`"
}
