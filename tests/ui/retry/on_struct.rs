use resilience::retry;

#[retry]
struct Client;

fn main() {
    let _ = Client;
}
