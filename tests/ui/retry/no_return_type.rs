use resilience::retry;

#[retry(attempts = 3)]
async fn call() {}

fn main() {
    let _ = call();
}
