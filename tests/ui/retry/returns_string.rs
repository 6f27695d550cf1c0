use resilience::retry;

#[retry(attempts = 3)]
async fn call() -> String {
    String::new()
}

fn main() {
    let _ = call();
}
