//! Deterministic figures for every case in `common`: instructions per call (callgrind),
//! the size of the returned future, heap allocations per call; then the results table,
//! with the criterion medians of `benches/overhead.rs` if it has run.
//!
//! ```text
//! cargo bench --bench instructions                  # the table (needs valgrind)
//! instructions --case retry/ours --iters 50000      # one case, what callgrind runs
//! ```
//!
//! Instructions per call: each case runs `N` and `2N` calls under
//! `valgrind --tool=callgrind`, and the difference of the two totals divided by `N` is
//! the cost of one call, with start-up and one-time set-up (breaker construction, the
//! first registration) cancelled out. Allocations per call: the same difference, with a
//! counting global allocator, natively. Without `--bench` (as `cargo test --all-targets`
//! runs it) it only smoke-tests every case.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use common::SHARED;
use common::cases::Case;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated and not freed yet.
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to `System` unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_add(new_size as u64, Relaxed);
        LIVE_BYTES.fetch_sub(layout.size() as u64, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as u64, Relaxed);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Calls per callgrind run: `N` and `2 * N`.
const N: u64 = 50_000;

fn id(case: &Case) -> String {
    format!("{}/{}", case.group, case.name)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter().position(|a| a == flag).map(|i| {
            args.get(i + 1)
                .cloned()
                .unwrap_or_else(|| panic!("{flag} VALUE"))
        })
    };
    let _runtime = common::runtime();
    let _entered = _runtime.enter();
    let cases = common::cases();

    if let Some(wanted) = value("--case") {
        let case = cases
            .iter()
            .find(|case| id(case) == wanted)
            .unwrap_or_else(|| panic!("no case {wanted}"));
        let iters = value("--iters").map_or(N, |n| n.parse().expect("--iters N"));
        (case.run)(iters);
        return;
    }

    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets`: check that every case runs, quickly.
        for case in &cases {
            (case.run)(20);
            assert!((case.bytes)() > 0);
        }
        for shared in SHARED {
            (shared.run)(20);
        }
        println!("{} passed, 0 failed", cases.len() + SHARED.len());
        return;
    }

    // `--rows PREFIX --save FILE`: measure some rows and keep them for a later run's
    // table (tryhard's, from the build with the `tryhard` feature).
    let prefix = value("--rows").unwrap_or_default();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut order: Vec<(&str, String)> = Vec::new();
    for case in cases.iter().filter(|case| id(case).starts_with(&prefix)) {
        let row = measure(case);
        eprintln!(
            "{:<32} {:>8} instructions/call  {:>4} bytes  {} allocations/call",
            id(case),
            fmt(row.instructions, 1),
            row.bytes,
            row.allocations
        );
        rows.insert(id(case), row);
        order.push((case.group, id(case)));
    }
    if let Some(path) = value("--save") {
        let saved: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(id, row)| {
                let value = serde_json::json!({
                    "instructions": row.instructions,
                    "allocations": row.allocations,
                    "bytes": row.bytes,
                });
                (id.clone(), value)
            })
            .collect();
        std::fs::write(&path, serde_json::to_string_pretty(&saved).expect("json"))
            .expect("--save FILE is writable");
        return;
    }
    if let Some(path) = value("--merge") {
        let text = std::fs::read_to_string(&path).expect("--merge FILE is readable");
        let saved: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).expect("rows saved by --save");
        for (id, row) in saved {
            let group = id.split('/').next().unwrap_or_default().to_owned();
            let at = order
                .iter()
                .rposition(|(g, _)| *g == group)
                .map_or(order.len(), |i| i + 1);
            order.insert(at, (leak(group), id.clone()));
            rows.insert(
                id,
                Row {
                    instructions: row["instructions"].as_f64(),
                    allocations: row["allocations"].as_f64().unwrap_or(f64::NAN),
                    bytes: row["bytes"].as_u64().unwrap_or(0) as usize,
                },
            );
        }
    }
    table(&rows, &order);
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

struct Row {
    instructions: Option<f64>,
    allocations: f64,
    bytes: usize,
}

fn measure(case: &Case) -> Row {
    let exe = std::env::current_exe().expect("own path");
    let allocations = {
        (case.run)(N);
        let before = ALLOCATIONS.load(Relaxed);
        (case.run)(N);
        let one = ALLOCATIONS.load(Relaxed) - before;
        let before = ALLOCATIONS.load(Relaxed);
        (case.run)(2 * N);
        let two = ALLOCATIONS.load(Relaxed) - before;
        two.saturating_sub(one) as f64 / N as f64
    };
    Row {
        instructions: instructions(&exe, case),
        allocations,
        bytes: (case.bytes)(),
    }
}

fn table(rows: &BTreeMap<String, Row>, order: &[(&str, String)]) {
    let exe = std::env::current_exe().expect("own path");
    let medians = criterion_dir(&exe);
    let median_of = |id: &str| {
        let (group, name) = id.split_once('/').expect("group/name");
        median(&medians, group, name)
    };
    let bare = &rows["bare/bare"];
    let bare_ns = median_of("bare/bare");
    println!("Machine: {}, {} vCPU", cpu_model(), cpus());
    println!();
    println!(
        "| case | crate | instructions/call | x bare | median ns/call | x bare | future bytes | allocations/call |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|");
    for (group, id) in order {
        let row = &rows[id];
        let ns = median_of(id);
        println!(
            "| {group} | {} | {} | {} | {} | {} | {} | {} |",
            id.split_once('/').map_or("", |p| p.1),
            fmt(row.instructions, 1),
            ratio(row.instructions, bare.instructions),
            fmt(ns, 2),
            ratio(ns, bare_ns),
            row.bytes,
            fmt(Some(row.allocations), 2),
        );
    }
    for shared in SHARED {
        println!(
            "| two_threads | {} | | | {} | | | |",
            shared.name,
            fmt(median(&medians, "two_threads", shared.name), 2),
        );
    }

    println!();
    println!("| goal | ours | best peer | ours / peer | limit | met? |");
    println!("|---|--:|--:|--:|--:|---|");
    let goals: [(&str, &str, f64); 11] = [
        ("retry", "instructions, first-try success", 1.0),
        ("circuit_closed", "instructions, closed (10% failures)", 1.0),
        (
            "circuit_rate",
            "instructions, rate mode closed (10% failures)",
            1.0,
        ),
        (
            "circuit_rate_time",
            "instructions, time-window rate mode closed",
            1.0,
        ),
        ("circuit_open", "instructions, open (rejection)", 1.0),
        ("timeout", "instructions, ready future", 0.25),
        ("stack", "instructions, circuit+retry+timeout", 0.2),
        ("rate_limit", "instructions, admitted call", 1.0),
        ("rate_limit_check", "instructions, admission check", 1.0),
        ("bulkhead", "instructions, call holding a permit", 1.0),
        ("bulkhead_acquire", "instructions, acquire + release", 1.0),
    ];
    for (group, what, limit) in goals {
        let ours = rows
            .get(&format!("{group}/ours"))
            .and_then(|r| r.instructions);
        let (peer, best) = order
            .iter()
            .filter(|(g, id)| *g == group && !id.ends_with("/ours"))
            .filter_map(|(_, id)| rows[id].instructions.map(|i| (id.as_str(), i)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unzip();
        let peer = peer.map(|id| id.split_once('/').map_or(id, |p| p.1));
        goal_row(&format!("{group}: {what}"), ours, best, peer, limit, "");
    }
    if let Some(retry) = rows.get("retry/ours") {
        let zero = retry.allocations == 0.0;
        println!(
            "| retry: allocations/call | {} | | | 0 | {} |",
            retry.allocations,
            if zero { "yes" } else { "**no**" }
        );
        let extra = retry.bytes as i64 - bare.bytes as i64;
        println!(
            "| retry: future bytes over the body's ({} B) | +{extra} | | | +64 | {} |",
            bare.bytes,
            if extra <= 64 { "yes" } else { "**no**" }
        );
    }
    let instructions = |id: &str| rows.get(id).and_then(|r| r.instructions);
    if let (Some(budget), Some(retry)) = (
        instructions("retry_budget/ours"),
        instructions("retry/ours"),
    ) {
        let extra = budget - retry;
        println!(
            "| retry_budget: instructions a budget adds to `retry/ours` | +{} | | | +15 | {} |",
            fmt(Some(extra), 1),
            if extra <= 15.0 { "yes" } else { "**no**" }
        );
    }
    for group in [
        "rate_limit",
        "rate_limit_check",
        "bulkhead",
        "bulkhead_acquire",
    ] {
        if let Some(row) = rows.get(&format!("{group}/ours")) {
            println!(
                "| {group}: allocations/call | {} | | | 0 | {} |",
                row.allocations,
                if row.allocations == 0.0 {
                    "yes"
                } else {
                    "**no**"
                }
            );
        }
    }
    let (per_key, breaker) = memory_per_key();
    println!(
        "| keyed breakers: memory per key (1024 keys, `max_keys = 1024`) | {per_key:.0} B | | | | (a breaker: {breaker} B) |"
    );
    let ours = median(&medians, "two_threads", "ours");
    let (peer, best) = SHARED
        .iter()
        .filter(|s| s.name != "ours")
        .filter_map(|s| median(&medians, "two_threads", s.name).map(|m| (s.name, m)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unzip();
    goal_row(
        "two threads, one breaker: ns/call",
        ours,
        best,
        peer,
        0.5,
        " ns",
    );
}

/// Heap bytes per key of a family of 1024 keyed breakers (each key made once): the
/// breaker, its slot, its share of the table, its name and key.
fn memory_per_key() -> (f64, usize) {
    use resilience::circuit::{Breakers, Scope};
    const KEYS: usize = 1024;
    let names: Vec<String> = (0..KEYS).map(|k| format!("model-{k:04}")).collect();
    let before = LIVE_BYTES.load(Relaxed);
    let family: &'static Breakers = Box::leak(Box::new(Breakers::new(
        resilience::CircuitBreaker::builder()
            .name("bench/memory")
            .build()
            .expect("valid settings"),
        Scope::PerKey,
        std::num::NonZeroUsize::new(KEYS).expect("not zero"),
    )));
    for name in &names {
        drop(family.for_key(name).expect("room for every key"));
    }
    let bytes = LIVE_BYTES.load(Relaxed) - before - size_of::<Breakers>() as u64;
    (
        bytes as f64 / KEYS as f64,
        size_of::<resilience::CircuitBreaker>(),
    )
}

fn goal_row(
    what: &str,
    ours: Option<f64>,
    best: Option<f64>,
    peer: Option<&str>,
    limit: f64,
    unit: &str,
) {
    let (ratio, met) = match (ours, best) {
        (Some(o), Some(b)) => (
            format!("{:.3}", o / b),
            if o <= limit * b { "yes" } else { "**no**" },
        ),
        _ => ("-".into(), "-"),
    };
    println!(
        "| {what} | {}{unit} | {}{unit} ({}) | {ratio} | {limit} | {met} |",
        fmt(ours, 1),
        fmt(best, 1),
        peer.unwrap_or("-"),
    );
}

/// Instructions per call of `case`: callgrind totals of `2N` and `N` calls, differenced.
/// `None` without valgrind.
fn instructions(exe: &Path, case: &Case) -> Option<f64> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return None;
    }
    let run = |iters: u64| {
        let exe = exe.to_path_buf();
        let id_ = id(case);
        std::thread::spawn(move || {
            let out = Command::new("valgrind")
                .args(["--tool=callgrind", "--callgrind-out-file=/dev/null", "--"])
                .arg(&exe)
                .args(["--case", &id_, "--iters", &iters.to_string()])
                .output()
                .expect("valgrind runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "callgrind failed on {id_}:\n{stderr}");
            stderr
                .lines()
                .find_map(|l| l.split("Collected :").nth(1))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no `Collected :` line for {id_}:\n{stderr}"))
        })
    };
    let (one, two) = (run(N), run(2 * N));
    let (one, two) = (
        one.join().expect("callgrind"),
        two.join().expect("callgrind"),
    );
    Some((two as f64 - one as f64) / N as f64)
}

/// Where criterion wrote its estimates: `$CARGO_TARGET_DIR/criterion`, found from this
/// executable's path (`target/release/deps/instructions-*`).
fn criterion_dir(exe: &std::path::Path) -> PathBuf {
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("criterion"))
        .unwrap_or_default()
}

fn median(dir: &std::path::Path, group: &str, name: &str) -> Option<f64> {
    let path = dir.join(group).join(name).join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    value.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn ratio(value: Option<f64>, bare: Option<f64>) -> String {
    match (value, bare) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}", v / b),
        _ => "-".into(),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, usize::from)
}
