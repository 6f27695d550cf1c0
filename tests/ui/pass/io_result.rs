//! A `Result` alias: `io::Result<T>`.
#![deny(warnings)]

use resilience::{fallback, retry};
use std::io;

fn from_cache(path: &str) -> io::Result<String> {
    Ok(path.to_owned())
}

fn interrupted(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Interrupted
}

#[retry(attempts = 3, when = interrupted)]
async fn read(path: &str) -> io::Result<String> {
    std::fs::read_to_string(path)
}

#[fallback(agents = [from_cache])]
#[retry(attempts = 2, when = |e: &io::Error| e.kind() == io::ErrorKind::TimedOut)]
fn read_blocking(path: &str) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

fn main() {
    let _ = read("x");
    let _: fn(&str) -> io::Result<String> = read_blocking;
}
