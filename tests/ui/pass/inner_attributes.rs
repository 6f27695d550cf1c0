//! A body with inner attributes.
#![deny(warnings)]

#[path = "support/mod.rs"]
mod support;

use resilience::{circuit, retry};
use support::ApiError;

#[retry]
async fn inner() -> Result<u32, ApiError> {
    #![allow(unused_variables)]
    let unused = 1;
    Ok(2)
}

#[circuit]
fn inner_blocking() -> Result<u32, ApiError> {
    #![allow(unused_variables)]
    let unused = 1;
    Ok(2)
}

trait Llm {
    #[retry(attempts = 2)]
    async fn default_method(&self, prompt: &str) -> Result<usize, ApiError> {
        Ok(prompt.len())
    }
}

struct Local;

impl Llm for Local {}

fn main() {
    let _ = inner();
    let _: fn() -> Result<u32, ApiError> = inner_blocking;
    let _ = Local.default_method("hi");
}
