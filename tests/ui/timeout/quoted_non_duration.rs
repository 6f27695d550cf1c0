// Regression: a quoted value that is not a duration once unquoted made the macro
// recurse until its stack overflowed (found by the parser's property test).
use resilience::{timeout, TimedOut};

#[derive(Debug)]
struct ApiError;

impl From<TimedOut> for ApiError {
    fn from(_: TimedOut) -> Self {
        ApiError
    }
}

#[timeout("x y")]
async fn call() -> Result<(), ApiError> {
    Ok(())
}

fn main() {
    let _ = call();
}
