//! How the calls the expansion makes (agents, cost estimates) receive the function's
//! arguments.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, Path, Type};

use crate::expand::{generated, is_primitive};

/// How a call that the expansion makes receives the function's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pass {
    /// As the function received them, for a function with the same parameters (a
    /// fallback agent, which runs after the body used them): references passed on
    /// (`&mut` reborrowed), owned values cloned.
    Same,
    /// By shared reference, for a function that only reads them (a cost estimate made
    /// before the body runs): a `&T` as it is, a `&mut T` as `&*x`, anything else as
    /// `&x`.
    Shared,
}

/// `path(arguments)`: `path` called with the function's arguments, passed as `pass`
/// says. `self` is passed only when `path` is `Self::something`.
pub(crate) fn call_with_arguments(path: &Path, sig: &syn::Signature, pass: Pass) -> TokenStream {
    let takes_self = path
        .segments
        .first()
        .is_some_and(|s| s.ident == "Self" && path.segments.len() > 1);
    let args = sig.inputs.iter().filter_map(|input| match input {
        FnArg::Receiver(receiver) => {
            if !takes_self {
                return None;
            }
            Some(forward(
                &format_ident!("self"),
                &receiver.ty,
                receiver.span(),
                pass,
            ))
        }
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(binding) => Some(forward(&binding.ident, &typed.ty, typed.ty.span(), pass)),
            // Refused in the attributes' checks.
            _ => None,
        },
    });
    // Spanned as generated (located at the agent): rustc suggests no edit of the
    // attribute for a wrong argument count.
    generated(quote!(#path(#(#args),*)))
}

fn forward(name: &Ident, ty: &Type, span: Span, pass: Pass) -> TokenStream {
    // The user's binding, as if the macro wrote it: lints on using it (clippy's
    // `used_underscore_binding` for a `_q` the body ignores) do not fire on our use.
    let name = generated(quote!(#name));
    match (ty, pass) {
        (Type::Reference(reference), Pass::Same) if reference.mutability.is_some() => {
            quote!(&mut *#name)
        }
        (Type::Reference(reference), Pass::Shared) if reference.mutability.is_some() => {
            quote!(&*#name)
        }
        (Type::Reference(_), _) => quote!(#name),
        (_, Pass::Shared) => quote!(&#name),
        _ if is_primitive(ty) => quote!(#name),
        // Located at the parameter's type, so a missing `Clone` is reported there.
        _ => {
            quote_spanned!(Span::call_site().located_at(span)=> ::core::clone::Clone::clone(&#name))
        }
    }
}
