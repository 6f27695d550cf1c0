//! The README's first command, `cargo run --example agents`, builds the library and what
//! the tour needs, and no more: no HTTP stack, no TLS, no trybuild (they belong to the
//! `openai-chat` and `resilience-ui` packages). It builds every dev-dependency of this
//! package, so those are what is checked.

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn the_tour_builds_only_what_it_needs() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "resilience",
            "-e",
            "normal,build,dev",
        ])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crates: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    for heavy in [
        "reqwest",
        "axum",
        "hyper",
        "rustls",
        "ring",
        "aws-lc-sys",
        "trybuild",
    ] {
        assert!(!crates.contains(heavy), "{heavy} is built for the tour");
    }
    // The library itself is 27 crates (`futures-core` for `#[stream]`'s `Stream`); the
    // tour adds tokio's macros, a tracing subscriber and a JSON parser.
    assert!(crates.len() <= 41, "{} crates: {crates:?}", crates.len());
}
