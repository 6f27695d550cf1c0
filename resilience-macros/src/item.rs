//! The function an attribute sits on, read without parsing its body.
//!
//! The body stays raw tokens (tokio-macros' and tracing's approach): rustc reports
//! syntax errors in it at their real place, and IDEs keep completing inside it.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Signature, Visibility};

pub(crate) struct Function {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The body, braces included.
    pub(crate) body: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(syn::Token![;]) {
            return Err(input.error(
                "resilience attributes need a function with a body; put them on the impl's method, not on the trait's declaration",
            ));
        }
        let group: proc_macro2::Group = input.parse()?;
        if group.delimiter() != proc_macro2::Delimiter::Brace {
            return Err(syn::Error::new(
                group.span(),
                "expected the function's body",
            ));
        }
        Ok(Function {
            attrs,
            vis,
            sig,
            body: proc_macro2::TokenTree::Group(group).into(),
        })
    }
}
