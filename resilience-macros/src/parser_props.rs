//! The parser never panics, and every rejection keeps the user's function.
//!
//! A panicking proc macro shows users "proc macro panicked" with no span and no hint,
//! so this feeds the four attributes arbitrary argument token streams, drawn from a
//! vocabulary of real keys, values, units and punctuation plus noise, and checks what
//! a user would see: the output is valid Rust tokens, the function `f` is still
//! there, and whenever something was refused there is a `compile_error!`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use proptest::prelude::*;

use crate::attribute::Spec;
use crate::attrs;
use crate::expand::attribute;

/// One argument-ish fragment: a real key, a value, punctuation or noise.
fn fragment() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "attempts",
        "backoff",
        "base",
        "factor",
        "max",
        "jitter",
        "max_elapsed",
        "on",
        "when",
        "retry_after",
        "crate",
        "threshold",
        "recovery",
        "success_threshold",
        "probes",
        "name",
        "breaker",
        "agents",
        "self",
        "Self",
        "async",
        "fn",
        "_",
    ]);
    let punct = prop::sample::select(vec![
        "=", ",", "|", "::", "&", "*", "-", ".", "..", "!", "#", "?", ";", ":", "<", ">",
    ]);
    let units = prop::sample::select(vec![
        "", "s", "ms", "us", "m", "h", "sec", "ns", "e3", "_u8",
    ]);
    let numbers = (0u64..=u64::MAX, units.clone()).prop_map(|(n, u)| {
        // Small numbers and huge ones both matter (zero, overflow).
        let n = if n % 3 == 0 { n % 5 } else { n };
        format!("{n}{u}")
    });
    let floats = (0.0f64..1e6, units).prop_map(|(f, u)| format!("{f:.3}{u}"));
    let strings = prop::sample::select(vec![
        "\"exp\"",
        "\"fixed\"",
        "\"linear\"",
        "\"none\"",
        "\"full\"",
        "\"equal\"",
        "\"decorrelated\"",
        "\"\"",
        "\"x y\"",
        "b\"bytes\"",
        "'c'",
    ]);
    let paths = prop::sample::select(vec![
        "ApiError::Network",
        "Duration::from_secs(1)",
        "::resilience",
        "self.breaker",
        "is_transient",
        "f64::NAN",
    ]);
    prop_oneof![
        keys.prop_map(str::to_owned),
        punct.prop_map(str::to_owned),
        numbers,
        floats,
        strings.prop_map(str::to_owned),
        paths.prop_map(str::to_owned),
    ]
}

/// A flat or nested argument list: fragments, sometimes grouped in brackets.
fn arguments() -> impl Strategy<Value = String> {
    let flat = prop::collection::vec(fragment(), 0..12).prop_map(|f| f.join(" "));
    flat.prop_recursive(2, 24, 4, |inner| {
        prop::collection::vec(
            prop_oneof![
                inner.clone(),
                inner.clone().prop_map(|s| format!("[{s}]")),
                inner.clone().prop_map(|s| format!("({s})")),
                inner.prop_map(|s| format!("{{{s}}}")),
            ],
            1..4,
        )
        .prop_map(|parts| parts.join(" "))
    })
}

const ITEMS: &[&str] = &[
    "async fn f(x: &str) -> Result<u32, E> { Ok(1) }",
    "fn f(&mut self, owned: String) -> Result<(), E> { Ok(()) }",
    "async fn f() -> io::Result<u8> { todo!() }",
    "async fn f((a, b): (u8, u8)) -> Result<u8, E> { Ok(a) }",
    "fn f() { }",
    "#[circuit(threshold = 0)] #[timeout(1x)] async fn f() -> Result<u8, E> { Ok(1) }",
];

fn kinds() -> impl Strategy<Value = &'static Spec> {
    prop::sample::select(attrs::ALL.to_vec())
}

/// Whether `tokens` still declare a function named `f`.
fn declares_f(file: &syn::File) -> bool {
    file.items
        .iter()
        .any(|item| matches!(item, syn::Item::Fn(f) if f.sig.ident == "f"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_arguments_never_panic_and_keep_the_function(
        kind in kinds(),
        args in arguments(),
        item in prop::sample::select(ITEMS),
    ) {
        // Some fragments don't lex (e.g. a lone `'c` mix); those never reach a macro.
        let Ok(args) = args.parse::<TokenStream>() else { return Ok(()); };
        let item: TokenStream = item.parse().unwrap();
        let output = catch_unwind(AssertUnwindSafe(|| attribute(kind, args.clone(), item)));
        let output = match output {
            Ok(output) => output,
            Err(_) => return Err(TestCaseError::fail(format!("panicked on #[{}({args})]", kind.name))),
        };
        let text = output.to_string();
        let file: syn::File = syn::parse2(output)
            .map_err(|e| TestCaseError::fail(format!("invalid output for ({args}): {e}\n{text}")))?;
        prop_assert!(declares_f(&file), "the function is gone for ({args}):\n{text}");
    }

    #[test]
    fn well_formed_but_wrong_values_are_reported(
        // (A path such as `x` is a `const` the compiler checks, not a mistake here.)
        value in prop_oneof![Just("0"), Just("\"4\""), Just("-1"), Just("1.5"), Just("[3]")],
        key in prop::sample::select(vec!["attempts", "threshold", "success_threshold", "probes"]),
    ) {
        let kind = attrs::find(if key == "attempts" { "retry" } else { "circuit" }).unwrap();
        let args: TokenStream = format!("{key} = {value}").parse().unwrap();
        let item: TokenStream = ITEMS[0].parse().unwrap();
        let text = attribute(kind, args, item).to_string();
        prop_assert!(text.contains("compile_error"), "accepted {key} = {value}:\n{text}");
    }
}
