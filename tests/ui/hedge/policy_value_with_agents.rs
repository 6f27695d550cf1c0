use std::time::Duration;

use resilience::hedge;
use resilience::hedge::HedgePolicy;

#[derive(Debug)]
struct ApiError;

static HEDGE: HedgePolicy = match HedgePolicy::builder().after(Duration::from_secs(1)).build() {
    Ok(policy) => policy,
    Err(_) => panic!(),
};

async fn replica_b() -> Result<u32, ApiError> {
    Ok(2)
}

// With agents the number of copies is theirs, which an existing policy cannot promise.
#[hedge(policy = &HEDGE, agents = [replica_b])]
async fn call() -> Result<u32, ApiError> {
    Ok(1)
}

fn main() {
    let _ = call();
}
