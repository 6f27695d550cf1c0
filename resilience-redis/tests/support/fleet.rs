//! Replicas as OS processes: the test binary runs itself with `RESILIENCE_REDIS_CHILD`
//! set, and the child (the `child` test) installs a store and calls one named limiter
//! until a wall-clock end, then prints what it admitted per 100 ms slice.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resilience_core::RateLimiter;
use resilience_core::rate_limit::RateLimiters;
use resilience_core::retry::{Price, RetryBudget};
use resilience_redis::RedisStore;

/// One replica's settings, passed to the child in its environment.
#[derive(Clone, Debug)]
pub struct Replica {
    pub url: String,
    pub requests: u64,
    pub lease: f64,
    pub replicas: u64,
    pub deadline_ms: u64,
    pub probe_ms: u64,
    /// Pause between calls (0: as fast as the limiter admits).
    pub every_ms: u64,
    pub run_ms: u64,
    /// Call a retry budget (`try_withdraw` every `every_ms`) instead of the limiter.
    pub budget: bool,
    /// Call the member for this key of a keyed family instead (empty: the limiter).
    pub key: String,
}

/// What one replica reports.
#[derive(Debug, Default)]
pub struct Report {
    /// Admissions per 100 ms slice, from the common start.
    pub slices: Vec<u64>,
    /// The longest one `acquire` took, in ms.
    pub max_latency_ms: u64,
    pub stats: Vec<u64>,
    /// Everything it printed (stdout and stderr), events included.
    pub output: String,
}

impl Report {
    /// Admissions in `[from_ms, to_ms)`.
    pub fn between(&self, from_ms: u64, to_ms: u64) -> u64 {
        self.slices[(from_ms / 100) as usize..(to_ms / 100) as usize]
            .iter()
            .sum()
    }
    pub fn total(&self) -> u64 {
        self.slices.iter().sum()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Starts `count` replicas that begin together 600 ms from now; returns their handles
/// and the common start (wall-clock ms).
pub fn spawn(replica: &Replica, count: usize) -> (Vec<std::process::Child>, u64) {
    spawn_with_env(replica, count, &[])
}

/// [`spawn`], with more variables in the children's environment (`CHILD_ROOT_CERT`).
pub fn spawn_with_env(
    replica: &Replica,
    count: usize,
    env: &[(&str, String)],
) -> (Vec<std::process::Child>, u64) {
    let start = now_ms() + 600;
    let exe = std::env::current_exe().unwrap();
    let children = (0..count)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "child", "--nocapture", "--test-threads=1"])
                .env("RESILIENCE_REDIS_CHILD", "1")
                .env("CHILD_URL", &replica.url)
                .env("CHILD_REQUESTS", replica.requests.to_string())
                .env("CHILD_LEASE", replica.lease.to_string())
                .env("CHILD_REPLICAS", replica.replicas.to_string())
                .env("CHILD_DEADLINE_MS", replica.deadline_ms.to_string())
                .env("CHILD_PROBE_MS", replica.probe_ms.to_string())
                .env("CHILD_EVERY_MS", replica.every_ms.to_string())
                .env("CHILD_BUDGET", if replica.budget { "1" } else { "" })
                .env("CHILD_KEY", &replica.key)
                .env("CHILD_START", start.to_string())
                .env("CHILD_END", (start + replica.run_ms).to_string())
                .envs(env.iter().map(|(name, value)| (name, value)))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    (children, start)
}

/// Sleeps until `at_ms` after the common `start`.
pub fn at(start: u64, at_ms: u64) {
    let now = now_ms();
    if start + at_ms > now {
        std::thread::sleep(Duration::from_millis(start + at_ms - now));
    }
}

pub fn collect(children: Vec<std::process::Child>) -> Vec<Report> {
    children
        .into_iter()
        .map(|child| parse(child.wait_with_output().unwrap()))
        .collect()
}

fn parse(output: Output) -> Report {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    let mut report = Report::default();
    for line in stdout.lines() {
        // The harness's "test child ... " may share the first line.
        let Some(at) = line.find("CHILD ") else {
            continue;
        };
        let mut words = line[at..].split_whitespace();
        match (words.next(), words.next()) {
            (Some("CHILD"), Some("slices")) => {
                report.slices = words.map(|w| w.parse().unwrap()).collect();
            }
            (Some("CHILD"), Some("latency")) => {
                report.max_latency_ms = words.next().unwrap().parse().unwrap();
            }
            (Some("CHILD"), Some("stats")) => {
                report.stats = words.map(|w| w.parse().unwrap()).collect();
            }
            _ => {}
        }
    }
    assert!(
        !report.slices.is_empty(),
        "no report from the child:\n{stdout}\n{stderr}"
    );
    report.output = stdout + &stderr;
    report
}

/// The child's side: runs when `RESILIENCE_REDIS_CHILD` is set.
pub fn child() {
    let var = |name: &str| std::env::var(name).unwrap();
    let num = |name: &str| var(name).parse::<u64>().unwrap();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let builder = RedisStore::builder(var("CHILD_URL"))
        .prefix("fleet-test:")
        .lease(var("CHILD_LEASE").parse().unwrap())
        .replicas(num("CHILD_REPLICAS"))
        .deadline(Duration::from_millis(num("CHILD_DEADLINE_MS")))
        .probe(Duration::from_millis(num("CHILD_PROBE_MS")));
    // A PEM file of certificates to trust for `rediss://` (tests/tls.rs).
    #[cfg(feature = "tls")]
    let builder = match std::env::var_os("CHILD_ROOT_CERT") {
        Some(path) => builder.root_certificate(std::fs::read(path).unwrap()),
        None => builder,
    };
    let store = resilience_redis::install(builder.build().unwrap()).unwrap();
    let limiter: &'static RateLimiter = Box::leak(Box::new(
        RateLimiter::builder()
            .name("fleet")
            .requests(num("CHILD_REQUESTS"))
            .per(Duration::from_secs(1))
            .max_wait(Duration::from_millis(200))
            .build()
            .unwrap(),
    ));
    let limiter = limiter.register();
    // With CHILD_KEY: the member for that key of a keyed family named "fleet".
    let key = var("CHILD_KEY");
    let family: Option<&'static RateLimiters> = (!key.is_empty()).then(|| {
        let settings = RateLimiter::builder()
            .name("fleet")
            .requests(num("CHILD_REQUESTS"))
            .per(Duration::from_secs(1))
            .max_wait(Duration::from_millis(200))
            .settings()
            .unwrap();
        let family: &'static RateLimiters = Box::leak(Box::new(RateLimiters::new(
            settings,
            std::num::NonZeroUsize::new(8).unwrap(),
        )));
        family.register()
    });
    let (start, end, every) = (num("CHILD_START"), num("CHILD_END"), num("CHILD_EVERY_MS"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    if !var("CHILD_BUDGET").is_empty() {
        return runtime.block_on(budget_child(&store, start, end, every));
    }
    let mut slices = vec![0u64; ((end - start) / 100) as usize];
    let mut max_latency = Duration::ZERO;
    runtime.block_on(async {
        at(start, 0);
        while now_ms() < end {
            let asked = std::time::Instant::now();
            let answer = match family {
                // A keyed family's member, made (and attached) on first use.
                Some(family) => family.for_key(&key).acquire(0).await,
                None => limiter.acquire(0).await,
            };
            max_latency = max_latency.max(asked.elapsed());
            let slice = ((now_ms().saturating_sub(start)) / 100) as usize;
            match answer {
                Ok(()) if slice < slices.len() => slices[slice] += 1,
                Ok(()) => {}
                Err(refused) => {
                    tokio::time::sleep(refused.retry_in().min(Duration::from_millis(20))).await
                }
            }
            if every > 0 {
                tokio::time::sleep(Duration::from_millis(every)).await;
            }
        }
    });
    let stats = store.stats();
    println!(
        "CHILD slices {}",
        slices
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("CHILD latency {}", max_latency.as_millis());
    println!(
        "CHILD stats {} {} {} {} {}",
        stats.round_trips, stats.leased, stats.local, stats.fallbacks, stats.rejoins
    );
}

/// The budget child: a withdrawal every `every` ms, counting those the budget allows
/// (floor 10 a second over a 1 s window, no first attempts: only the floor pays).
async fn budget_child(store: &RedisStore, start: u64, end: u64, every: u64) {
    let budget: &'static RetryBudget = Box::leak(Box::new(
        RetryBudget::builder()
            .name("fleet-budget")
            .floor(10.0)
            .window(Duration::from_secs(1))
            .build()
            .unwrap(),
    ));
    let budget = budget.register();
    let mut slices = vec![0u64; ((end - start) / 100) as usize];
    // Attach before the start, so the first withdrawals already see the fleet.
    let _ = budget.try_withdraw(Price::Throttled);
    at(start, 0);
    while now_ms() < end {
        let slice = ((now_ms().saturating_sub(start)) / 100) as usize;
        if budget.try_withdraw(Price::Retry) && slice < slices.len() {
            slices[slice] += 1;
        }
        tokio::time::sleep(Duration::from_millis(every)).await;
    }
    let stats = store.stats();
    println!(
        "CHILD slices {}",
        slices
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("CHILD latency 0");
    println!(
        "CHILD stats {} {} {} {} {}",
        stats.round_trips, stats.leased, stats.local, stats.fallbacks, stats.rejoins
    );
}
