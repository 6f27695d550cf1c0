//! A fork's pieces (a hedge): the closure that runs one copy through a fresh part, the
//! factory of every call, and the body as a future of its own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Ident, Type};

use super::protocol::call_pattern;
use crate::expand::{generated_at, hidden};
use crate::item::Function;

/// The closure that makes copy `k` of a forked call: a pass of its own through a fresh
/// part (the layers below the fork), its calls made by the factory.
///
/// The loop is written out here, in the user's function, rather than run by a generic
/// `async fn` of the runtime: the future of a generic `async fn` that holds a layer's
/// guard is not provably `Send` when the layer borrows (a breaker, a policy), because
/// the guard's lifetime bound is checked for every lifetime (rust-lang/rust#110338);
/// with the layers' types written out, it is.
pub(super) fn pass(
    private: &TokenStream,
    part: &Ident,
    calls: &Ident,
    fork: &Ident,
) -> TokenStream {
    let copy = hidden("__copy");
    let pass = hidden("__pass");
    let flow = hidden("__flow");
    let which = hidden("__call");
    let outcome = hidden("__outcome");
    let result = hidden("__result");
    quote! {{
        let (#part, #calls, #fork) = (&#part, &#calls, &#fork);
        move |#copy: usize| async move {
            let mut #pass = #part();
            let mut #flow = #pass.enter();
            loop {
                let #which = match { #flow } {
                    #private::Flow::Call(#which) => #which,
                    #private::Flow::Done(#result) => break #result,
                    #private::Flow::Wait => {
                        #flow = #pass.wait().await;
                        continue;
                    }
                };
                let #outcome = #pass.guard(#calls(#fork.call(#copy, #which))).await;
                #flow = #pass.leave(#outcome);
            }
        }
    }}
}

/// Every call of the function (the body, then the agents) as one closure `|n| call n`,
/// so that several can run at once: one future type, the calls nested in `Either`s.
pub(super) fn factory(private: &TokenStream, calls: Vec<TokenStream>) -> TokenStream {
    let which = hidden("__call");
    let last = calls.len() - 1;
    let arms = calls.into_iter().enumerate().map(|(index, call)| {
        let pattern = call_pattern(index, last);
        // Call `index` is `Right` `index` times, then `Left` unless it is the last.
        let mut nested = if index == last {
            call
        } else {
            quote!(#private::Either::Left { guard: #call })
        };
        for _ in 0..index {
            nested = quote!(#private::Either::Right { guard: #nested });
        }
        quote!(#pattern => #nested,)
    });
    // Through `calls`, whose `Fn` bound makes the closure `Fn` from the start: a body
    // that moves an argument out is then told so at that argument.
    quote!(#private::calls(|#which: usize| match #which { #(#arms)* }))
}

/// The body as a future of its own (not yet guarded), for the calls factory of a fork:
/// each run counts itself (`count`) and runs the preludes first.
pub(super) fn body_call(
    function: &Function,
    ret: &Type,
    private: &TokenStream,
    preludes: &[TokenStream],
    count: &TokenStream,
    is_async: bool,
) -> TokenStream {
    debug_assert!(is_async, "a fork is refused on a blocking function");
    let statements = match function.body.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Group(group)) => group.stream(),
        _ => function.body.clone(),
    };
    let ret = generated_at(quote!(#private::ResultOf<#ret>), ret.span());
    let never = hidden("__ret");
    quote!(async {
        if let ::core::option::Option::Some(#never) = ::core::option::Option::None::<#ret> {
            return #never;
        }
        #count
        #(#preludes)*
        #statements
    })
}
