//! From one function and its stack of attributes to the function with its new body.
//!
//! Input:
//!
//! ```text
//! #[fallback(agents = [gpt35])]
//! #[retry(attempts = 4)]
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> { BODY }
//! ```
//!
//! Output (`P` is `::resilience::__private`; `tests/expand/*.expanded.rs` has the
//! real thing):
//!
//! ```text
//! async fn gpt4(prompt: &str) -> Result<String, ApiError> {
//!     let mut __resilience = P::pipeline::<Result<String, ApiError>>()
//!         .fallback(&["gpt35"], |_| true)
//!         .retry({ static POLICY: P::RetryPolicy = ...; &POLICY }, |_| true, None)
//!         .build();
//!     let mut __flow = __resilience.enter();
//!     loop {
//!         let __call = match { __flow } {
//!             P::Flow::Call(__call) => __call,
//!             P::Flow::Done(__result) => break __result,
//!             P::Flow::Wait => {
//!                 __flow = __resilience.wait().await;
//!                 continue;
//!             }
//!         };
//!         let __outcome = match __call {
//!             0 => __resilience.guard(async {
//!                 if let Some(__ret) = None::<Result<String, ApiError>> { return __ret; }
//!                 BODY
//!             }).await,
//!             _ => __resilience.guard(gpt35(prompt)).await,
//!         };
//!         __flow = __resilience.leave(__outcome);
//!     }
//! }
//! ```
//!
//! Each attribute adds its builder call (its module's [`Attribute::layer`]); the loop
//! that drives them is the same for every stack (`drive`). Generated locals are
//! `Span::mixed_site()` (invisible to the body); runtime paths are absolute; no lint is
//! allowed anywhere: `tests/hygiene.rs` compiles all of it under
//! `deny(unused_qualifications, clippy::pedantic)`.
//!
//! [`Attribute::layer`]: crate::attribute::Attribute::layer

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{ReturnType, Type};

use crate::attribute::{Parsed, Spec};
use crate::drive;
use crate::errors::Errors;
use crate::item::{Function, Item};
use crate::stack;

/// The entry point shared by every attribute.
pub(crate) fn attribute(spec: &'static Spec, args: TokenStream, item: TokenStream) -> TokenStream {
    if is_expanded_marker(&args) {
        return item;
    }
    let Item { mut attrs, rest } = match syn::parse2(item.clone()) {
        Ok(item) => item,
        // Malformed attributes: rustc reports them itself.
        Err(_) => return item,
    };
    let mut errors = Errors::default();
    let stack = stack::gather(spec, args, &mut attrs, &mut errors);
    let mut function = match Function::parse(spec, attrs, rest.clone()) {
        Ok(function) => function,
        Err((attrs, error)) => {
            // Not a function with a body: emit the item as written (minus our
            // attributes) so the rest of the crate still sees it.
            errors.push(error);
            let errors = errors.into_compile_errors();
            return quote!(#(#attrs)* #rest #errors);
        }
    };
    check_signature(&function, &stack, &mut errors);
    if !errors.is_empty() {
        // Emit the function as written, minus our attributes, so its callers still
        // resolve and the user sees only the real mistakes.
        let Function {
            attrs,
            vis,
            sig,
            body,
        } = function;
        let errors = errors.into_compile_errors();
        return quote!(#(#attrs)* #vis #sig #body #errors);
    }
    // The body moves into a block or closure, where inner attributes are not allowed:
    // they become outer attributes of the function, where they mean the same.
    let (lifted, body) = lift_inner_attributes(&function.body);
    function.body = body;
    // The new body keeps the span of the user's braces: the function item stays the
    // user's own to rustc and clippy, whose item-level lints keep applying to it.
    let braces = function
        .body
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span());
    let mut body = proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        drive::body(&function, &stack),
    );
    body.set_span(braces);
    let Function {
        attrs, vis, sig, ..
    } = function;
    quote!(#(#attrs)* #(#lifted)* #vis #sig #body)
}

/// Splits `{ #![attr] ... rest }` into `#[attr]`s and `{ rest }` (tokio-macros does
/// the same).
fn lift_inner_attributes(body: &TokenStream) -> (Vec<TokenStream>, TokenStream) {
    use proc_macro2::TokenTree;
    let Some(TokenTree::Group(group)) = body.clone().into_iter().next() else {
        return (Vec::new(), body.clone());
    };
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    let mut lifted = Vec::new();
    let mut at = 0;
    while let [
        TokenTree::Punct(pound),
        TokenTree::Punct(bang),
        TokenTree::Group(attr),
        ..,
    ] = &tokens[at..]
    {
        if pound.as_char() != '#'
            || bang.as_char() != '!'
            || attr.delimiter() != proc_macro2::Delimiter::Bracket
        {
            break;
        }
        lifted.push(quote!(#pound #attr));
        at += 3;
    }
    let mut rest =
        proc_macro2::Group::new(group.delimiter(), tokens[at..].iter().cloned().collect());
    rest.set_span(group.span());
    (lifted, TokenTree::Group(rest).into())
}

/// `__resilience_expanded`: an attribute that the first one of its stack expanded.
fn is_expanded_marker(args: &TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == stack::EXPANDED
    )
}

/// What the attributes need of the function itself.
fn check_signature(function: &Function, stack: &[Parsed], errors: &mut Errors) {
    let sig = &function.sig;
    let mut names: Vec<String> = Vec::new();
    for layer in stack {
        let name = format!("`#[{}]`", layer.spec.name);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let names = names.join(", ");
    match &sig.output {
        ReturnType::Default => errors.at(
            sig.paren_token.span.close(),
            format!("{names} needs a function that returns `Result<T, E>`; this one returns `()`: add `-> Result<(), YourError>`"),
        ),
        ReturnType::Type(_, ty) => {
            if let Some(what) = surely_not_result(ty) {
                errors.spanned(
                    ty,
                    format!("{names} needs a function that returns `Result<T, E>`, not {what}"),
                );
            }
        }
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(
            constness,
            format!("{names} cannot go on a `const fn`: retries, breakers and deadlines happen at run time; remove `const`"),
        );
    }
    // Copies of copies: the layers below a fork run once per copy, so a second fork
    // would multiply the calls.
    let mut forks = stack.iter().filter(|layer| layer.attribute.forks());
    if let (Some(first), Some(second)) = (forks.next(), forks.next()) {
        errors.at(
            second.span,
            format!(
                "a function takes one `#[{}]`: the layers below it already run once per copy, so a second one would start copies of copies; keep one",
                first.spec.name
            ),
        );
    }
    // An attribute that changes what a call is wraps each call below every layer, so it
    // is written last: textual order stays nesting order.
    if let Some(at) = stack
        .iter()
        .position(|layer| layer.attribute.adapts_calls())
    {
        if at + 1 != stack.len() {
            let name = stack[at].spec.name;
            errors.at(
                stack[at].span,
                format!("`#[{name}]` changes what one call of the function is, below every other attribute: write it last, just above the `fn`"),
            );
        }
    }
    // One check per attribute, however often it appears.
    let mut checked: Vec<&str> = Vec::new();
    for layer in stack {
        if !checked.contains(&layer.spec.name) {
            checked.push(layer.spec.name);
            layer.attribute.check(sig, errors);
        }
    }
}

/// A return type that cannot be a `Result` whatever is in scope, described for a
/// message. Type aliases and other paths are left to the `IsResult` bound.
fn surely_not_result(ty: &Type) -> Option<String> {
    let what = match ty {
        Type::Paren(inner) => return surely_not_result(&inner.elem),
        Type::Group(inner) => return surely_not_result(&inner.elem),
        Type::Tuple(tuple) if tuple.elems.is_empty() => "`()`".to_owned(),
        Type::Tuple(_) => "a tuple".to_owned(),
        Type::Reference(_) | Type::Ptr(_) => "a reference".to_owned(),
        Type::Array(_) | Type::Slice(_) => "an array".to_owned(),
        Type::Never(_) => "`!`".to_owned(),
        Type::BareFn(_) => "a function pointer".to_owned(),
        Type::TraitObject(_) => "a trait object".to_owned(),
        Type::Path(_) if is_primitive(ty) || is_prelude_type(ty) => {
            format!("`{}`", quote!(#ty).to_string().replace(' ', ""))
        }
        Type::ImplTrait(_) => {
            return Some(
                "`impl Trait`; write an `async fn` that returns `Result<T, E>`".to_owned(),
            );
        }
        // `#[async_trait]` on the impl expands first and hands us its rewrite.
        Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Pin") => {
            return Some("a pinned future; under `#[async_trait]`, put the attribute on an inherent `async fn` and call that from the trait method, or use `async fn` in the trait without `#[async_trait]`".to_owned());
        }
        _ => return None,
    };
    Some(format!("{what}; return `Result<_, YourError>`"))
}

/// `String`, `Vec<T>`, `Option<T>`, `Box<T>`: the prelude's own types, which no alias of
/// `Result` shadows in code anyone writes (as with the primitives).
fn is_prelude_type(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path.path.segments.len() == 1
        && path.path.segments.last().is_some_and(|last| {
            matches!(
                last.ident.to_string().as_str(),
                "String" | "Vec" | "Option" | "Box"
            )
        })
}

/// The default name of what a function's attributes make (its pipeline, breaker,
/// limiter, bulkhead, hedge, stream policy): `module::function`, as the function's own
/// module path spells it.
pub(crate) fn function_name(sig: &syn::Signature) -> TokenStream {
    let ident = sig.ident.to_string();
    quote!(::core::concat!(::core::module_path!(), "::", #ident))
}

/// A local of the expansion: mixed-site, so the user's body cannot see it and it cannot
/// shadow anything the body names.
pub(crate) fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `tokens` as if the macro wrote them: hygiene of the call site, so they resolve as
/// the user's would, but marked as coming from this expansion (lints skip them), each
/// token still located where the user wrote it.
pub(crate) fn generated(tokens: TokenStream) -> TokenStream {
    respan(tokens, &|span| Span::call_site().located_at(span))
}

/// [`generated`], every token located at `at`: an error about them points there.
pub(crate) fn generated_at(tokens: TokenStream, at: Span) -> TokenStream {
    respan(tokens, &|_| Span::call_site().located_at(at))
}

/// `tokens` located at `at`, each keeping its hygiene (a hidden local stays hidden): an
/// error about them points there.
pub(crate) fn located_at(tokens: TokenStream, at: Span) -> TokenStream {
    respan(tokens, &|span| span.located_at(at))
}

fn respan(tokens: TokenStream, span_of: &dyn Fn(Span) -> Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span_of));
                inner.set_span(span_of(group.span()));
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span_of(token.span()));
            }
            token
        })
        .collect()
}

/// `u32`, `bool`, `f64`...: `Copy` whatever is in scope (barring a perverse shadowing),
/// so passed on by name rather than through `Clone::clone`.
pub(crate) fn is_primitive(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path.path.get_ident().is_some_and(|ident| {
            matches!(
                ident.to_string().as_str(),
                "bool"
                    | "char"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "i8"
                    | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "f32"
                    | "f64"
            )
        })
}
