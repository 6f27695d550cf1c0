use std::time::Duration;

use resilience::hedge;
use resilience::hedge::HedgePolicy;

#[derive(Debug)]
struct ApiError;

static HEDGE: HedgePolicy = match HedgePolicy::builder().after(Duration::from_secs(1)).build() {
    Ok(policy) => policy,
    Err(_) => panic!(),
};

// An existing policy is whole: `after` belongs where it is built.
#[hedge(policy = &HEDGE, after = 2s)]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
