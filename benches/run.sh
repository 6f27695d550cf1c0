#!/usr/bin/env bash
# Reproduces the table in BENCHMARKS.md: criterion medians (benches/overhead.rs), then
# instructions per call under callgrind, future sizes and allocations per call
# (benches/instructions.rs), which prints the table. Needs valgrind for the instruction
# counts (`apt-get install valgrind`); takes about 5 minutes on 2 vCPUs.
#
#   bash benches/run.sh            # everything
#   SKIP_CRITERION=1 bash benches/run.sh   # deterministic figures only (~1 minute)
#
# tryhard forces tokio's `test-util` feature on everything built with it (see
# benches/Cargo.toml), so its row is measured in a build of its own and merged.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$target"
# Absolute: cargo runs each bench from the package's directory.
saved="$(cd "$target" && pwd)/tryhard-rows.json"

if [ -z "${SKIP_CRITERION:-}" ]; then
    cargo bench -p resilience-benches --bench overhead
    cargo bench -p resilience-benches --features tryhard --bench overhead -- retry/tryhard
fi
cargo bench -p resilience-benches --features tryhard --bench instructions -- \
    --rows retry/tryhard --save "$saved"
cargo bench -p resilience-benches --bench instructions -- --merge "$saved"
