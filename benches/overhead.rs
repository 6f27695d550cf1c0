//! Wall time per call of every case in `common` (ours and the peers), with criterion.
//!
//! `cargo bench --bench overhead`; `benches/run.sh` runs it and then
//! `benches/instructions.rs`, which puts these medians in the results table.

#[allow(dead_code, reason = "the future sizes are read by instructions.rs")]
mod common;

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

fn single_thread(c: &mut Criterion) {
    let runtime = common::runtime();
    let _entered = runtime.enter();
    let cases = common::cases();
    let mut groups: Vec<&str> = cases.iter().map(|case| case.group).collect();
    groups.dedup();
    for group_name in groups {
        let mut group = c.benchmark_group(group_name);
        for case in cases.iter().filter(|case| case.group == group_name) {
            group.bench_function(case.name, |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    (case.run)(iters);
                    start.elapsed()
                });
            });
        }
        group.finish();
    }
}

fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_threads");
    for case in common::SHARED {
        // Wall time of both threads over the calls of both: time per call.
        group.bench_function(case.name, |b| {
            b.iter_custom(|iters| {
                let per_thread = iters.div_ceil(2);
                let wall = (case.run)(per_thread);
                wall.mul_f64(iters as f64 / (2 * per_thread) as f64)
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = single_thread, two_threads
}
criterion_main!(benches);
