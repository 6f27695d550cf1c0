//! Bodies that diverge (`todo!()`, `loop {}`) compile without warnings.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, fallback, retry, timeout};
use support::ApiError;

async fn backup() -> Result<u32, ApiError> {
    Ok(1)
}

#[retry]
#[timeout(1s)]
async fn unfinished() -> Result<u32, ApiError> {
    todo!()
}

#[fallback(agents = [backup])]
async fn forever() -> Result<u32, ApiError> {
    loop {}
}

#[circuit]
fn unfinished_blocking() -> Result<u32, ApiError> {
    unimplemented!()
}

fn main() {
    let _ = unfinished();
    let _ = forever();
    let _: fn() -> Result<u32, ApiError> = unfinished_blocking;
}
