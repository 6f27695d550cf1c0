//! The item an attribute sits on, read without parsing the function's body.
//!
//! The body stays raw tokens (tokio-macros' and tracing's approach): rustc reports
//! syntax errors in it at their real place, and IDEs keep completing inside it.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Signature, Token, Visibility};

use crate::attribute::Spec;

/// Any item: its outer attributes, then everything else as written.
pub(crate) struct Item {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) rest: TokenStream,
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(Item {
            attrs: input.call(Attribute::parse_outer)?,
            rest: input.parse()?,
        })
    }
}

/// A function with a body.
pub(crate) struct Function {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body, braces included.
    pub(crate) body: TokenStream,
}

impl Function {
    /// Reads `rest` (an [`Item`] after its attributes) as a function with a body, or
    /// says why the attribute `spec` cannot go on it.
    pub(crate) fn parse(
        spec: &Spec,
        attrs: Vec<Attribute>,
        rest: TokenStream,
    ) -> Result<Self, (Vec<Attribute>, syn::Error)> {
        let parser = |input: ParseStream<'_>| {
            let vis: Visibility = input.parse()?;
            if !starts_fn(input) {
                return Err(not_a_function(spec, input));
            }
            let sig: Signature = input.parse()?;
            if input.peek(Token![;]) {
                let semi: Token![;] = input.parse()?;
                return Err(syn::Error::new(
                    semi.span,
                    format!(
                        "`#[{}]` needs a function with a body; put it on the method in the `impl`, not on the trait's declaration",
                        spec.name
                    ),
                ));
            }
            let body = match input.parse::<TokenTree>()? {
                TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => group,
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "expected the function's body",
                    ));
                }
            };
            if !input.is_empty() {
                return Err(input.error("unexpected tokens after the function's body"));
            }
            Ok((vis, sig, TokenTree::Group(body).into()))
        };
        match parser.parse2(rest) {
            Ok((vis, sig, body)) => Ok(Function {
                attrs,
                vis,
                sig,
                body,
            }),
            Err(error) => Err((attrs, error)),
        }
    }
}

/// `fn`, `const fn`, `async fn`, `unsafe fn`, `extern "C" fn`, in any valid order.
fn starts_fn(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let _ = fork.parse::<Option<Token![const]>>();
    let _ = fork.parse::<Option<Token![async]>>();
    let _ = fork.parse::<Option<Token![unsafe]>>();
    if fork.peek(Token![extern]) {
        let _ = fork.parse::<syn::Abi>();
    }
    fork.peek(Token![fn])
}

/// `#[retry]` on a `struct`, an `impl` block, a `const`...
fn not_a_function(spec: &Spec, input: ParseStream<'_>) -> syn::Error {
    let attr = spec.name;
    let what = input.cursor().ident().map(|(ident, _)| ident.to_string());
    let message = match what.as_deref() {
        Some(container @ ("impl" | "trait")) => format!(
            "`#[{attr}]` goes on a function, not on an `{container}` block; put it on each method that needs it"
        ),
        Some(
            word @ ("struct" | "enum" | "union" | "type" | "mod" | "static" | "const" | "use"),
        ) => {
            format!("`#[{attr}]` goes on a function (`fn` or `async fn`), not on a `{word}`")
        }
        _ => format!("`#[{attr}]` goes on a function (`fn` or `async fn`)"),
    };
    input.error(message)
}
