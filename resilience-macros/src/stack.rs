//! The resilience attributes of one function, gathered into one ordered stack.
//!
//! rustc expands the topmost attribute first and hands it the function with the
//! attributes below still on it. That first attribute takes the others off and expands
//! the whole stack at once, so the output is one pipeline, topmost layer outermost.
//! The same attribute may appear any number of times: each is one more layer.

use proc_macro2::{Span, TokenStream};
use syn::{Attribute, Ident, Path};

use crate::attribute::{Parsed, Spec};
use crate::attrs;
use crate::errors::Errors;

/// Which of `attrs` are ours: `#[retry]`, `#[resilience::retry]`, or
/// `#[PATH::retry]` where `PATH` is the runtime path given by `crate = PATH` (on the
/// first attribute of the stack or on this one).
/// A lookalike from another crate (`#[ntest::timeout]`) is left alone.
pub(crate) fn kind_of(attr: &Attribute, crate_path: Option<&Path>) -> Option<&'static Spec> {
    let path = attr.path();
    let last = path.segments.last()?;
    let spec = attrs::find(&last.ident.to_string())?;
    let prefix: Vec<_> = path
        .segments
        .iter()
        .take(path.segments.len() - 1)
        .map(|s| &s.ident)
        .collect();
    let names = |krate: &Path| {
        krate
            .segments
            .iter()
            .map(|s| &s.ident)
            .eq(prefix.iter().copied())
    };
    let ours = match prefix.as_slice() {
        [] => true,
        [root] if *root == "resilience" => true,
        _ => crate_path.is_some_and(names) || own_crate_path(attr).is_some_and(|p| names(&p)),
    };
    ours.then_some(spec)
}

/// The `crate = PATH` among an attribute's own arguments, read loosely: a mistake in
/// it is reported when the arguments are parsed for real.
fn own_crate_path(attr: &Attribute) -> Option<Path> {
    let syn::Meta::List(list) = &attr.meta else {
        return None;
    };
    let mut tokens = list.tokens.clone().into_iter().peekable();
    while let Some(token) = tokens.next() {
        let is_key = matches!(&token, proc_macro2::TokenTree::Ident(i) if i == "crate");
        let then_eq =
            matches!(tokens.peek(), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '=');
        if is_key && then_eq {
            let _ = tokens.next();
            let value: TokenStream = tokens
                .take_while(
                    |t| !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ','),
                )
                .collect();
            return match syn::parse2::<syn::LitStr>(value.clone()) {
                Ok(lit) => lit.parse_with(Path::parse_mod_style).ok(),
                Err(_) => syn::parse::Parser::parse2(Path::parse_mod_style, value).ok(),
            };
        }
    }
    None
}

/// The argument left in place of an attribute this stack already expanded.
pub(crate) const EXPANDED: &str = "__resilience_expanded";

/// Builds the stack from the invoked attribute and the function's other attributes.
///
/// Each of ours is replaced by `#[its::path(__resilience_expanded)]`, which expands to
/// nothing: the attribute's path still resolves, so the user's
/// `use resilience::circuit;` counts as used.
pub(crate) fn gather(
    first: &'static Spec,
    first_args: TokenStream,
    attrs: &mut Vec<Attribute>,
    errors: &mut Errors,
) -> Vec<Parsed> {
    let first = (first.parse)(first_args, Span::call_site(), errors);
    let crate_path = first.krate.clone();
    let mut stack = vec![first];
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        let Some(spec) = kind_of(&attr, crate_path.as_ref()) else {
            kept.push(attr);
            continue;
        };
        let path = attr.path();
        let marker = Ident::new(EXPANDED, Span::call_site());
        kept.push(syn::parse_quote!(#[#path(#marker)]));
        let span = attr
            .path()
            .segments
            .last()
            .map_or_else(Span::call_site, |s| s.ident.span());
        let tokens = match &attr.meta {
            syn::Meta::Path(_) => TokenStream::new(),
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::NameValue(_) => {
                errors.spanned(
                    &attr,
                    format!(
                        "expected `#[{0}]` or `#[{0}(...)]`, not `#[{0} = ...]`",
                        spec.name
                    ),
                );
                continue;
            }
        };
        stack.push((spec.parse)(tokens, span, errors));
    }
    *attrs = kept;
    check_one_crate(&stack, errors);
    stack
}

/// Every `crate = ...` of one stack names the same path: the stack is one pipeline.
fn check_one_crate(stack: &[Parsed], errors: &mut Errors) {
    let mut paths = stack.iter().filter_map(|layer| layer.krate.as_ref());
    let Some(first) = paths.next() else {
        return;
    };
    for other in paths {
        if other != first {
            errors.spanned(
                other,
                format!(
                    "the attributes of one function form one pipeline with one runtime path, but this `crate` differs from `{}`; give `crate` once, on the first attribute",
                    quote::ToTokens::to_token_stream(first).to_string().replace(' ', "")
                ),
            );
        }
    }
}
