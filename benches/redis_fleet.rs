//! What sharing a limit through Redis costs a call: admissions per second, the latency
//! one admission adds, and round trips per admission, with and without leases, on
//! loopback. `cargo bench -p resilience-benches --bench redis_fleet --features redis`
//! (needs `redis-server` on PATH; starts its own on a free port).
//!
//! Each configuration runs in a process of its own (the store is process-wide): the bench
//! runs itself with `child <lease>`. The limit is far above what one process can ask
//! (a million a second), so every figure is the store's cost, not the limit's waiting.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use resilience::RateLimiter;
use resilience::redis::RedisStore;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        return child(&args[2], &args[3]);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut redis = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH");
    std::thread::sleep(Duration::from_millis(300));
    let url = format!("redis://127.0.0.1:{port}");
    println!(
        "{:<22} {:>10} {:>12} {:>12} {:>14}",
        "configuration", "calls", "calls/s", "mean µs", "round trips/call"
    );
    for lease in ["local", "0", "0.001", "0.01", "0.05"] {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["child", lease, &url])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let _ = redis.kill();
    let _ = redis.wait();
}

fn child(lease: &str, url: &str) {
    let calls: u64 = if lease == "0" { 5_000 } else { 100_000 };
    let store = (lease != "local").then(|| {
        resilience::redis::install(
            RedisStore::builder(url)
                .prefix(format!("bench:{}:", std::process::id()))
                .lease(lease.parse().unwrap())
                .build()
                .unwrap(),
        )
        .unwrap()
    });
    let limiter: &'static RateLimiter = Box::leak(Box::new(
        RateLimiter::builder()
            .name("bench")
            .requests(1_000_000)
            .per(Duration::from_secs(1))
            .build()
            .unwrap(),
    ));
    let limiter = limiter.register();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Warm up: connect, load the script.
        for _ in 0..100 {
            limiter.acquire(0).await.unwrap();
        }
        let before = store.as_ref().map(|s| s.stats().round_trips).unwrap_or(0);
        let start = Instant::now();
        for _ in 0..calls {
            limiter.acquire(0).await.unwrap();
        }
        let elapsed = start.elapsed();
        let trips = store.as_ref().map(|s| s.stats().round_trips).unwrap_or(0) - before;
        let name = match lease {
            "local" => "no store (local only)".to_owned(),
            "0" => "store, no lease".to_owned(),
            share => format!("store, lease {share}"),
        };
        println!(
            "{name:<22} {calls:>10} {:>12.0} {:>12.2} {:>14.4}",
            calls as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / calls as f64,
            trips as f64 / calls as f64,
        );
    });
}
