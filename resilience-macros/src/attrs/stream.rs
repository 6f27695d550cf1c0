//! `#[stream(first = DUR, idle = DUR)]`: a call answered at its stream's first item.
//!
//! Not a layer: it changes what one call is (the body, or a fallback agent, plus the
//! wait for its stream's first item), so it wraps each call in `first_item` before any
//! layer guards it, and gives the streams of the body and the agents one type (`Either`,
//! nested as the calls factory of a fork nests its futures, by `stream::left` and
//! `stream::right` around each call).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{GenericArgument, Ident, PathArguments, ReturnType, Signature, Type};

use crate::args::{self, Slot};
use crate::attribute::{Attribute, Emit, Keys, Spec};
use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::expand::function_name;
use crate::values::{self, Shared};

pub(crate) static SPEC: Spec = Spec {
    name: "stream",
    keys: &[
        ("first", "10s"),
        ("idle", "30s"),
        ("policy", "\"llm\""),
        ("crate", "::resilience"),
    ],
    positional: None,
    parse: args::parse::<StreamAttr>,
};

#[derive(Default)]
pub(crate) struct StreamAttr {
    first: Slot<DurationArg>,
    idle: Slot<DurationArg>,
    /// A policy in the configuration file whose `[name.stream]` overrides the deadlines
    /// (`"llm"`), or an existing `&StreamPolicy` (`&CHAT`), whole.
    policy: Slot<Shared>,
}

impl Keys for StreamAttr {
    const SPEC: &'static Spec = &SPEC;

    fn key(&mut self, key: &Ident, input: ParseStream<'_>, errors: &mut Errors) -> bool {
        match key.to_string().as_str() {
            "first" => self.first.parse(key, input, errors, values::duration),
            "idle" => self.idle.parse(key, input, errors, values::duration),
            "policy" => self.policy.parse(key, input, errors, |i| {
                values::name_or_expr(i, key, "stream policy")
            }),
            _ => return false,
        }
        true
    }

    fn validate(&self, _: Span, errors: &mut Errors) {
        if let Some(Shared::Expr(_)) = self.policy.get() {
            // An existing policy is whole: its deadlines and its name.
            for key in [self.first.key(), self.idle.key()].into_iter().flatten() {
                errors.spanned(
                    key,
                    format!("`{key}` configures a policy that `#[stream]` builds, but `policy = ...` uses an existing one; set `{key}` where that policy is built, or drop `policy`"),
                );
            }
            return;
        }
        for (key, slot) in [("first", &self.first), ("idle", &self.idle)] {
            if let Some(duration) = slot.get() {
                if duration.literal_nanos() == Some(0) {
                    errors.at(
                        duration.span(),
                        format!("`{key}` must not be zero: a deadline that has already passed would fail every call"),
                    );
                }
            }
        }
    }
}

impl Attribute for StreamAttr {
    fn check(&self, sig: &Signature, errors: &mut Errors) {
        if sig.asyncness.is_none() {
            errors.spanned(
                sig.fn_token,
                "`#[stream]` needs an `async fn`: it waits for the stream's first item; make the function `async`",
            );
        }
        let ReturnType::Type(_, ty) = &sig.output else {
            return; // `()` is refused for every attribute.
        };
        match ok_type(ty) {
            Some(Type::ImplTrait(_)) => {}
            Some(ok) => errors.spanned(
                ok,
                "`#[stream]` answers with the stream behind a wrapper that holds its first item (`resilience::Streamed`): declare the stream as `impl Stream<Item = Result<T, E>>` (`futures_core::Stream`)",
            ),
            // Not a `Result` written out: said once, by the check every attribute shares
            // or the `IsResult` bound.
            None => {}
        }
    }

    fn layer(&self, _: &Emit<'_>) -> TokenStream {
        TokenStream::new()
    }

    fn adapts_calls(&self) -> bool {
        true
    }

    fn adapt_call(
        &self,
        emit: &Emit<'_>,
        call: &TokenStream,
        index: usize,
        count: usize,
    ) -> Option<TokenStream> {
        let private = emit.private;
        let name = function_name(emit.sig);
        let mut builder = quote!(#private::StreamPolicy::builder().name(#name));
        if let Some(first) = self.first.get() {
            let first = first.to_tokens();
            builder = quote!(#builder.first(#first));
        }
        if let Some(idle) = self.idle.get() {
            let idle = idle.to_tokens();
            builder = quote!(#builder.idle(#idle));
        }
        let literal = quote! {
            static POLICY: #private::StreamPolicy =
                #private::ConfigError::unwrap_const(#builder.build());
        };
        let policy = match self.policy.get() {
            None => quote!({ #literal &POLICY }),
            Some(Shared::Expr(existing)) => quote!(#existing),
            Some(Shared::Name(name)) => quote! {{
                #literal
                #private::config_feature::<()>();
                static SITE: #private::NamedStream = #private::NamedStream::new(#name, &POLICY);
                SITE.get()
            }},
        };
        // Call `index` among `count`: `right` `index` times, then `left` unless last
        // (generic functions, not closures: see `stream::left`).
        let mut placed = call.clone();
        if count > 1 && index + 1 < count {
            placed = quote!(#private::stream_left(#placed));
        }
        for _ in 0..index {
            placed = quote!(#private::stream_right(#placed));
        }
        // Spanned on the attribute: a missing `From<TimedOut>` / `From<EmptyStream>` is
        // reported there.
        let first_item = Ident::new("first_item", emit.span);
        Some(quote_spanned!(emit.span=> #private::#first_item(#placed, #policy)))
    }
}

/// The `T` of a return type written `Result<T, E>` (or `io::Result<T>`): the first
/// generic argument of its last segment.
fn ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if !last.ident.to_string().ends_with("Result") {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ok) => Some(ok),
        _ => None,
    }
}
