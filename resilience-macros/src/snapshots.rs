//! Expansion snapshots: what `cargo expand` shows a user, locked down.
//!
//! Each `tests/expand/NAME.rs` (at the repository root) is expanded here the way rustc
//! would do it: the topmost resilience attribute of each function first, then the
//! markers it leaves, until none is left. The result, formatted with prettyplease,
//! must equal the committed `tests/expand/NAME.expanded.rs`.
//!
//! After a deliberate change of the expansion, rewrite the snapshots and read the diff:
//!
//! ```text
//! RESILIENCE_BLESS=1 cargo test -p resilience-macros snapshots
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{Attribute, ImplItem, Item};

use crate::expand;
use crate::stack;

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand")
}

#[test]
fn expansions_match_snapshots() {
    let bless = std::env::var_os("RESILIENCE_BLESS").is_some_and(|v| v != "0");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(snapshot_dir())
        .expect("tests/expand exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in tests/expand");

    let mut failures = String::new();
    for input in &inputs {
        let source = std::fs::read_to_string(input).expect("readable input");
        let mut file = syn::parse_file(&source)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", input.display()));
        ExpandAll.visit_file_mut(&mut file);
        let actual = prettyplease::unparse(&file);
        let snapshot = input.with_extension("expanded.rs");
        if bless {
            std::fs::write(&snapshot, &actual).expect("writable snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if expected.replace("\r\n", "\n") != actual {
            let _ = writeln!(
                failures,
                "\n{} differs from its expansion:\n{}",
                snapshot.display(),
                first_difference(&expected, &actual)
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}\nrewrite with `RESILIENCE_BLESS=1 cargo test -p resilience-macros snapshots` and read the diff"
    );
}

/// The first line that differs, with its neighbours.
fn first_difference(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let at = expected
        .iter()
        .zip(&actual)
        .position(|(e, a)| e != a)
        .unwrap_or(expected.len().min(actual.len()));
    let show = |lines: &[&str]| {
        lines
            .iter()
            .skip(at.saturating_sub(2))
            .take(5)
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "  at line {}\n  snapshot:\n{}\n  expansion:\n{}",
        at + 1,
        show(&expected),
        show(&actual)
    )
}

/// Expands every resilience attribute in a file, as rustc would. An expansion may
/// be more than the function (the function and `compile_error!`s): spliced in place.
struct ExpandAll;

impl VisitMut for ExpandAll {
    fn visit_file_mut(&mut self, file: &mut syn::File) {
        file.items = expand_items(std::mem::take(&mut file.items));
    }

    fn visit_item_mod_mut(&mut self, module: &mut syn::ItemMod) {
        if let Some((_, items)) = &mut module.content {
            *items = expand_items(std::mem::take(items));
        }
    }
}

fn expand_items(items: Vec<Item>) -> Vec<Item> {
    let mut out = Vec::with_capacity(items.len());
    for mut item in items {
        match &mut item {
            Item::Fn(function) => {
                if let Some(tokens) = expand_first(&function.attrs, |attrs| {
                    let mut function = function.clone();
                    function.attrs = attrs;
                    function.into_token_stream()
                }) {
                    let file: syn::File = syn::parse2(tokens).expect("an expansion is items");
                    out.extend(expand_items(file.items));
                    continue;
                }
            }
            Item::Impl(block) => {
                block.items = expand_impl_items(std::mem::take(&mut block.items));
            }
            Item::Mod(module) => ExpandAll.visit_item_mod_mut(module),
            _ => {}
        }
        out.push(item);
    }
    out
}

fn expand_impl_items(items: Vec<ImplItem>) -> Vec<ImplItem> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let ImplItem::Fn(method) = &item {
            if let Some(tokens) = expand_first(&method.attrs, |attrs| {
                let mut method = method.clone();
                method.attrs = attrs;
                method.into_token_stream()
            }) {
                let block: syn::ItemImpl = syn::parse2(quote::quote!(impl Snapshot { #tokens }))
                    .expect("an expansion is impl items");
                out.extend(expand_impl_items(block.items));
                continue;
            }
        }
        out.push(item);
    }
    out
}

/// Takes the first resilience attribute off `attrs` and expands it on the item that
/// `rebuild` makes from the remaining attributes; `None` when there is none left.
fn expand_first(
    attrs: &[Attribute],
    rebuild: impl FnOnce(Vec<Attribute>) -> TokenStream,
) -> Option<TokenStream> {
    let (index, spec) = attrs
        .iter()
        .enumerate()
        .find_map(|(i, attr)| Some((i, stack::kind_of(attr, None)?)))?;
    let mut rest = attrs.to_vec();
    let attr = rest.remove(index);
    let args = match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    };
    Some(expand::attribute(spec, args, rebuild(rest)))
}
