//! Three processes sharing one rate limit through Redis, printing the fleet's admitted
//! rate per second against the limit: `cargo run --example redis_fleet --features redis`.
//!
//! It starts its own `redis-server` on a free loopback port (Debian package
//! `redis-server`), or uses `RESILIENCE_REDIS_URL` when that is set, then runs three
//! copies of itself as replicas. Each calls a function under an unchanged
//! `#[rate_limit(name = "provider", requests = 30, per = 1s)]` as fast as it is let
//! through: alone, each would make 30 calls a second; through Redis the three make 30
//! together. From second 4 to 6 Redis is killed (when the example started it), and the
//! replicas go on under their local share (10 a second each), then rejoin.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resilience::{RateLimited, rate_limit};

const LIMIT: u64 = 30;
const SECONDS: u64 = 8;
const REPLICAS: usize = 3;

#[derive(Debug)]
struct Limited;
impl From<RateLimited> for Limited {
    fn from(_: RateLimited) -> Self {
        Limited
    }
}

/// The call every replica makes: its limiter is named, so with a store installed it
/// counts against the fleet's quota.
#[rate_limit(name = "provider", requests = 30, per = 1s, max_wait = 200ms)]
async fn call_provider() -> Result<(), Limited> {
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("replica") => replica(),
        _ => fleet(),
    }
}

/// One replica: install the store from the environment, then call until the end,
/// printing `<second> <admitted>` lines.
fn replica() {
    resilience::redis::install_from_env().expect("RESILIENCE_REDIS_URL");
    let start: u64 = std::env::var("FLEET_START").unwrap().parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut admitted = vec![0u64; SECONDS as usize];
    runtime.block_on(async {
        while now_ms() < start {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        while now_ms() < start + SECONDS * 1_000 {
            if call_provider().await.is_ok() {
                let second = ((now_ms() - start) / 1_000) as usize;
                if let Some(count) = admitted.get_mut(second) {
                    *count += 1;
                }
            }
        }
    });
    for (second, count) in admitted.iter().enumerate() {
        println!("{second} {count}");
    }
}

/// The fleet: Redis, three replicas, and the table.
fn fleet() {
    let (mut redis, url) = match std::env::var("RESILIENCE_REDIS_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            (Some(start_redis(port)), format!("redis://127.0.0.1:{port}"))
        }
    };
    let start = now_ms() + 1_000;
    let exe = std::env::current_exe().unwrap();
    let replicas: Vec<Child> = (0..REPLICAS)
        .map(|_| {
            Command::new(&exe)
                .arg("replica")
                .env("RESILIENCE_REDIS_URL", &url)
                .env("RESILIENCE_REDIS_REPLICAS", REPLICAS.to_string())
                .env(
                    "RESILIENCE_REDIS_PREFIX",
                    format!("redis_fleet_example:{start}:"),
                )
                .env("FLEET_START", start.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    if let Some(server) = &mut redis {
        let port = server.1;
        sleep_until(start + 4_000);
        println!("(second 4: Redis killed)");
        let _ = server.0.kill();
        let _ = server.0.wait();
        sleep_until(start + 6_000);
        println!("(second 6: Redis restarted, empty)");
        *server = start_redis(port);
    }
    let counts: Vec<Vec<u64>> = replicas
        .into_iter()
        .map(|mut child| {
            let out = BufReader::new(child.stdout.take().unwrap());
            let counts = out
                .lines()
                .map(|line| line.unwrap().split(' ').nth(1).unwrap().parse().unwrap())
                .collect();
            child.wait().unwrap();
            counts
        })
        .collect();
    println!("second  fleet/s  limit/s  per replica");
    for second in 0..SECONDS as usize {
        let each: Vec<u64> = counts.iter().map(|c| c[second]).collect();
        let fleet: u64 = each.iter().sum();
        println!("{second:>6}  {fleet:>7}  {LIMIT:>7}  {each:?}");
    }
    println!(
        "(second 0 holds the burst: a quiet bucket lets {LIMIT} through at once; alone, each replica would do {LIMIT}/s)"
    );
    if redis.is_some() {
        println!(
            "(second 4: each replica's local share, {}/s, starts with its own burst; second 6: the new Redis starts empty, with a burst again)",
            LIMIT / REPLICAS as u64
        );
    }
    if let Some(mut server) = redis {
        let _ = server.0.kill();
        let _ = server.0.wait();
    }
}

fn start_redis(port: u16) -> (Child, u16) {
    let child = Command::new("redis-server")
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
        .expect("redis-server (Debian package `redis-server`), or set RESILIENCE_REDIS_URL");
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (child, port)
}

fn sleep_until(at_ms: u64) {
    let now = now_ms();
    if at_ms > now {
        std::thread::sleep(Duration::from_millis(at_ms - now));
    }
}
