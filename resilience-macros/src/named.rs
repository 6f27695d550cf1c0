//! What `policy = "name"` expands to for the attributes that keep state (a breaker, a
//! limiter, a bulkhead): a named site in a `static`, listed in the registry from
//! start-up, whose `get()` is the instance for this call.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, LitStr};

use crate::expand::hidden;

/// `{ static SITE: #site_type = #site_type::new(#policy, #builder); ..; SITE.get() }`,
/// after the check that the `config` feature is on (one error that names it).
pub(crate) fn protection_site(
    private: &TokenStream,
    site_type: &str,
    policy: &LitStr,
    builder: TokenStream,
) -> TokenStream {
    let ty = Ident::new(site_type, proc_macro2::Span::call_site());
    let site = hidden("NAMED_SITE");
    let entry = hidden("NAMED_ENTRY");
    quote! {
        {
            #private::config_feature::<()>();
            static #site: #private::#ty = #private::#ty::new(#policy, #builder);
            #[#private::linkme::distributed_slice(#private::ATTRIBUTES)]
            #[linkme(crate = #private::linkme)]
            static #entry: &'static dyn #private::Protection = &#site;
            #site.get()
        }
    }
}
