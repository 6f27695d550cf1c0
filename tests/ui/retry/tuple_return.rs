use resilience::retry;

#[retry(attempts = 3)]
fn call() -> (u32, bool) {
    (1, true)
}

fn main() {
    let _ = call();
}
