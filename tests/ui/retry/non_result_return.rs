use resilience::retry;

struct Answer {
    text: String,
}

#[retry(attempts = 3)]
async fn call() -> Answer {
    Answer { text: String::new() }
}

fn main() {
    let _ = call().await_text();
}

trait AwaitText {
    fn await_text(self) -> usize;
}

impl<F: std::future::Future<Output = Answer>> AwaitText for F {
    fn await_text(self) -> usize {
        0
    }
}

#[allow(dead_code)]
fn text(answer: &Answer) -> &str {
    &answer.text
}
