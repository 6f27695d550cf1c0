//! `on = PATTERN` / `when = PATH`: which errors a layer acts on.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::ParseStream;
use syn::{Expr, Ident, Pat, Token};

use super::expr;
use crate::args::Slot;
use crate::errors::Errors;

/// Which errors a layer acts on: a pattern (`on = ApiError::Network | ..`) or a
/// predicate (`when = is_transient`).
pub(crate) enum Filter {
    On(Box<Pat>),
    When(Box<Expr>),
}

/// Parses `on = PATTERN` or `when = PATH` into `slot`; `false` for any other key.
pub(crate) fn filter(
    slot: &mut Slot<Filter>,
    key: &Ident,
    input: ParseStream<'_>,
    errors: &mut Errors,
) -> bool {
    let filter = if key == "on" {
        crate::args::value(input, errors, |input| on_pattern(input, key))
            .map(|pat| Filter::On(Box::new(pat)))
    } else if key == "when" {
        crate::args::value(input, errors, expr).map(|expr| Filter::When(Box::new(expr)))
    } else {
        return false;
    };
    match slot.key() {
        Some(first) if first != key => errors.spanned(
            key,
            format!(
                "`on` and `when` both choose which errors count; keep `{first}` or `{key}`, not both"
            ),
        ),
        _ => slot.set(key, filter, errors),
    }
    true
}

/// The pattern of `on = ...`, refusing what reads as a test but is not one.
fn on_pattern(input: ParseStream<'_>, key: &Ident) -> syn::Result<Pat> {
    const USE_WHEN: &str =
        "for a test written as code, use `when = is_transient` with a `fn(&E) -> bool`";
    if input.peek(Token![|]) || input.peek(Token![||]) || input.peek(Token![move]) {
        return Err(input.error(format!(
            "`{key}` takes a pattern, not a closure; write `when = |e| ...` instead"
        )));
    }
    let pat = Pat::parse_multi_with_leading_vert(input).map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{key}` takes a pattern such as `ApiError::Network | ApiError::Timeout(_)`; {USE_WHEN}"),
        )
    })?;
    if input.peek(Token![if]) {
        return Err(input.error(format!(
            "`{key}` takes a pattern without a guard; move the `if ...` into a function and write `when = that_function`"
        )));
    }
    if input.peek(Token![.]) || input.peek(syn::token::Paren) {
        return Err(input.error(format!(
            "`{key}` takes a pattern, not an expression; {USE_WHEN}"
        )));
    }
    let cases: Vec<&Pat> = match &pat {
        Pat::Or(or) => or.cases.iter().collect(),
        other => vec![other],
    };
    for case in cases {
        if let Pat::Ident(binding) = case {
            let name = binding.ident.to_string();
            let lowercase = name.starts_with(|c: char| c.is_lowercase() || c == '_');
            if binding.subpat.is_none() && lowercase {
                return Err(syn::Error::new_spanned(
                    binding,
                    format!(
                        "`{key} = {name}` is a pattern that binds every error to the name `{name}`, so it would match them all; to call a function `{name}(&E) -> bool`, write `when = {name}`"
                    ),
                ));
            }
        }
    }
    Ok(pat)
}

/// The `fn(&E) -> bool` that picks the errors a layer acts on.
pub(crate) fn filter_tokens(slot: &Slot<Filter>) -> TokenStream {
    let error = Ident::new("__error", Span::mixed_site());
    match slot.get() {
        Some(Filter::On(pat)) => quote!(|#error| ::core::matches!(#error, #pat)),
        Some(Filter::When(expr)) => quote!(#expr),
        None => quote!(|_| true),
    }
}
