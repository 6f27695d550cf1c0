//! Each attribute's arguments: `key = value`, comma-separated, every key at most once.
//!
//! Parsing never stops at the first mistake it can step over: an unknown key, a
//! duplicate, a value out of range are all collected into [`Errors`], so one compile
//! shows them all. Only malformed syntax (a missing `=`, a value that does not parse)
//! ends the attribute's parse.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Pat, Path, Token};

use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::stack::Kind;

/// A value and the key it was given under, set at most once.
pub(crate) struct Slot<T> {
    value: Option<(Ident, T)>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot { value: None }
    }
}

impl<T> Slot<T> {
    fn set(&mut self, key: &Ident, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.spanned(key, format!("duplicate `{key}` argument"));
        } else {
            self.value = Some((key.clone(), value));
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    pub(crate) fn key(&self) -> Option<&Ident> {
        self.value.as_ref().map(|(k, _)| k)
    }
}

/// Which errors a layer acts on: a pattern (`on = ApiError::Network | ..`) or a
/// predicate (`when = is_transient`).
pub(crate) enum Filter {
    On(Box<Pat>),
    When(Box<Expr>),
}

#[derive(Default)]
pub(crate) struct Common {
    pub(crate) krate: Slot<Path>,
    pub(crate) filter: Option<Filter>,
    on: Slot<()>,
    when: Slot<()>,
}

#[derive(Default)]
pub(crate) struct RetryArgs {
    pub(crate) attempts: Slot<u32>,
    pub(crate) backoff: Slot<LitStr>,
    pub(crate) base: Slot<DurationArg>,
    pub(crate) factor: Slot<TokenStream>,
    pub(crate) max: Slot<DurationArg>,
    pub(crate) jitter: Slot<LitStr>,
    pub(crate) max_elapsed: Slot<DurationArg>,
    pub(crate) retry_after: Slot<Expr>,
}

#[derive(Default)]
pub(crate) struct CircuitArgs {
    pub(crate) threshold: Slot<u32>,
    pub(crate) recovery: Slot<DurationArg>,
    pub(crate) success_threshold: Slot<u32>,
    pub(crate) probes: Slot<u32>,
    pub(crate) name: Slot<LitStr>,
    pub(crate) breaker: Slot<Expr>,
}

#[derive(Default)]
pub(crate) struct TimeoutArgs {
    pub(crate) after: Slot<DurationArg>,
}

#[derive(Default)]
pub(crate) struct FallbackArgs {
    pub(crate) agents: Slot<Vec<Path>>,
}

pub(crate) enum Specific {
    Retry(RetryArgs),
    Circuit(CircuitArgs),
    Timeout(TimeoutArgs),
    Fallback(FallbackArgs),
}

pub(crate) struct LayerArgs {
    pub(crate) common: Common,
    pub(crate) specific: Specific,
}

impl LayerArgs {
    pub(crate) fn crate_path(&self) -> Option<&Path> {
        self.common.krate.get()
    }
}

const RETRY_KEYS: &str = "`attempts`, `backoff`, `base`, `factor`, `max`, `jitter`, `max_elapsed`, `on`, `when`, `retry_after`, `crate`";
const CIRCUIT_KEYS: &str = "`threshold`, `recovery`, `success_threshold`, `probes`, `on`, `when`, `name`, `breaker`, `crate`";
const TIMEOUT_KEYS: &str = "a duration such as `10s`, then `crate`";
const FALLBACK_KEYS: &str = "`agents`, `on`, `when`, `crate`";

/// Parses the arguments of one attribute; every problem goes to `errors`.
pub(crate) fn parse(kind: Kind, tokens: TokenStream, span: Span, errors: &mut Errors) -> LayerArgs {
    let mut args = LayerArgs {
        common: Common::default(),
        specific: match kind {
            Kind::Retry => Specific::Retry(RetryArgs::default()),
            Kind::Circuit => Specific::Circuit(CircuitArgs::default()),
            Kind::Timeout => Specific::Timeout(TimeoutArgs::default()),
            Kind::Fallback => Specific::Fallback(FallbackArgs::default()),
        },
    };
    let parser = |input: ParseStream<'_>| parse_list(input, &mut args, errors);
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    validate(kind, span, &args, errors);
    args
}

fn parse_list(
    input: ParseStream<'_>,
    args: &mut LayerArgs,
    errors: &mut Errors,
) -> syn::Result<()> {
    let mut first = true;
    while !input.is_empty() {
        // `#[timeout(10s)]`: the deadline comes first, without a key.
        let positional = first
            && matches!(args.specific, Specific::Timeout(_))
            && !(input.peek(Ident::peek_any) && input.peek2(Token![=]));
        first = false;
        if positional {
            let expr: Expr = input.parse()?;
            if let Specific::Timeout(timeout) = &mut args.specific {
                let key = Ident::new("duration", expr.span());
                match DurationArg::parse(expr) {
                    Ok(d) => timeout.after.set(&key, d, errors),
                    Err(e) => errors.push(e),
                }
            }
        } else {
            let key = input.call(Ident::parse_any)?;
            if !input.peek(Token![=]) {
                return Err(syn::Error::new(
                    key.span(),
                    format!("expected `{key} = ...`"),
                ));
            }
            input.parse::<Token![=]>()?;
            parse_value(input, &key, args, errors)?;
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

fn parse_value(
    input: ParseStream<'_>,
    key: &Ident,
    args: &mut LayerArgs,
    errors: &mut Errors,
) -> syn::Result<()> {
    let name = key.to_string();
    let common = &mut args.common;
    match name.as_str() {
        "crate" => {
            let path = if input.peek(LitStr) {
                input.parse::<LitStr>()?.parse_with(Path::parse_mod_style)?
            } else {
                input.call(Path::parse_mod_style)?
            };
            common.krate.set(key, path, errors);
            return Ok(());
        }
        "on" => {
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            common.on.set(key, (), errors);
            set_filter(common, key, Filter::On(Box::new(pat)), errors);
            return Ok(());
        }
        "when" => {
            let expr: Expr = input.parse()?;
            common.when.set(key, (), errors);
            set_filter(common, key, Filter::When(Box::new(expr)), errors);
            return Ok(());
        }
        _ => {}
    }
    match &mut args.specific {
        Specific::Retry(retry) => match name.as_str() {
            "attempts" => retry
                .attempts
                .set(key, positive(input, key, errors)?, errors),
            "backoff" => retry.backoff.set(
                key,
                choice(input, &["exp", "fixed", "linear"], errors)?,
                errors,
            ),
            "base" => retry.base.set(key, duration(input)?, errors),
            "factor" => retry.factor.set(key, factor(input, errors)?, errors),
            "max" => retry.max.set(key, duration(input)?, errors),
            "jitter" => retry.jitter.set(
                key,
                choice(input, &["none", "full", "equal", "decorrelated"], errors)?,
                errors,
            ),
            "max_elapsed" => retry.max_elapsed.set(key, duration(input)?, errors),
            "retry_after" => retry.retry_after.set(key, input.parse()?, errors),
            _ => unknown(input, key, "retry", RETRY_KEYS, errors),
        },
        Specific::Circuit(circuit) => match name.as_str() {
            "threshold" => circuit
                .threshold
                .set(key, positive(input, key, errors)?, errors),
            "recovery" => circuit.recovery.set(key, duration(input)?, errors),
            "success_threshold" => {
                circuit
                    .success_threshold
                    .set(key, positive(input, key, errors)?, errors)
            }
            "probes" => circuit
                .probes
                .set(key, positive(input, key, errors)?, errors),
            "name" => {
                let lit: LitStr = input.parse()?;
                if lit.value().is_empty() {
                    errors.spanned(&lit, "a breaker's `name` must not be empty");
                }
                circuit.name.set(key, lit, errors);
            }
            "breaker" => circuit.breaker.set(key, input.parse()?, errors),
            _ => unknown(input, key, "circuit", CIRCUIT_KEYS, errors),
        },
        Specific::Timeout(_) => unknown(input, key, "timeout", TIMEOUT_KEYS, errors),
        Specific::Fallback(fallback) => match name.as_str() {
            "agents" => {
                let content;
                syn::bracketed!(content in input);
                let list = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
                let agents: Vec<Path> = list.into_iter().collect();
                for (i, agent) in agents.iter().enumerate() {
                    if agents[..i].iter().any(|earlier| earlier == agent) {
                        errors.spanned(agent, "this agent is already in the list");
                    }
                }
                if agents.is_empty() {
                    errors.spanned(
                        key,
                        "`agents` needs at least one function, e.g. `agents = [backup]`",
                    );
                }
                fallback.agents.set(key, agents, errors);
            }
            _ => unknown(input, key, "fallback", FALLBACK_KEYS, errors),
        },
    }
    Ok(())
}

fn set_filter(common: &mut Common, key: &Ident, filter: Filter, errors: &mut Errors) {
    if common.on.get().is_some() && common.when.get().is_some() {
        errors.spanned(
            key,
            "`on` and `when` both choose which errors count; use one of them",
        );
    } else if common.filter.is_none() {
        common.filter = Some(filter);
    }
}

/// Reports an unknown key and steps over its value, so later keys are still checked.
fn unknown(input: ParseStream<'_>, key: &Ident, attr: &str, valid: &str, errors: &mut Errors) {
    errors.spanned(
        key,
        format!("unknown `#[{attr}]` argument `{key}`; expected one of {valid}"),
    );
    while !input.is_empty() && !input.peek(Token![,]) {
        let _ = input.parse::<TokenTree>();
    }
}

fn positive(input: ParseStream<'_>, key: &Ident, errors: &mut Errors) -> syn::Result<u32> {
    let lit: syn::LitInt = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("`{key}` takes a whole number, e.g. `{key} = 3`"),
        )
    })?;
    let value: u32 = lit.base10_parse()?;
    if value == 0 {
        let hint = if key == "attempts" {
            "`attempts` counts every call, the first included: it must be at least 1 (`attempts = 1` never retries)".to_owned()
        } else {
            format!("`{key}` must be at least 1")
        };
        errors.spanned(&lit, hint);
    }
    Ok(value)
}

fn choice(input: ParseStream<'_>, valid: &[&str], errors: &mut Errors) -> syn::Result<LitStr> {
    let lit: LitStr = input.parse()?;
    if !valid.contains(&lit.value().as_str()) {
        let list = valid
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ");
        errors.spanned(
            &lit,
            format!("unknown value \"{}\"; expected one of {list}", lit.value()),
        );
    }
    Ok(lit)
}

fn duration(input: ParseStream<'_>) -> syn::Result<DurationArg> {
    DurationArg::parse(input.parse()?)
}

fn factor(input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<TokenStream> {
    let expr: Expr = input.parse()?;
    if let Expr::Lit(syn::ExprLit { lit, .. }) = &expr {
        let value = match lit {
            Lit::Float(f) => f.base10_parse::<f64>().ok(),
            Lit::Int(i) => i.base10_parse::<f64>().ok(),
            _ => None,
        };
        match value {
            None => errors.spanned(lit, "`factor` takes a number, e.g. `factor = 2.0`"),
            Some(v) if !(v.is_finite() && v >= 1.0) => errors.spanned(
                lit,
                "`factor` must be a finite number of at least 1.0: delays never shrink",
            ),
            Some(v) => {
                // Always hand the runtime an f64 literal, whatever the user wrote.
                let lit = proc_macro2::Literal::f64_suffixed(v);
                return Ok(quote::quote_spanned!(expr.span()=> #lit));
            }
        }
    }
    Ok(quote::quote!(#expr))
}

/// Rules that involve several keys.
fn validate(kind: Kind, span: Span, args: &LayerArgs, errors: &mut Errors) {
    match &args.specific {
        Specific::Retry(retry) => {
            if let (Some(base), Some(max)) = (retry.base.get(), retry.max.get()) {
                if let (Some(b), Some(m)) = (base.literal_nanos(), max.literal_nanos()) {
                    if b > m {
                        errors.at(base.span(), "`base` is longer than `max`: the first delay would already exceed the cap");
                    }
                }
            }
            if retry.base.get().is_none() {
                if let Some(m) = retry.max.get().and_then(DurationArg::literal_nanos) {
                    if m < 1_000_000_000 {
                        errors.at(
                            retry.max.get().map_or(span, DurationArg::span),
                            "`max` is shorter than the default `base` of 1s; set `base` too",
                        );
                    }
                }
            }
        }
        Specific::Circuit(circuit) => {
            if let Some(breaker_key) = circuit.breaker.key() {
                let _ = breaker_key;
                for key in [
                    circuit.threshold.key(),
                    circuit.recovery.key(),
                    circuit.success_threshold.key(),
                    circuit.probes.key(),
                    circuit.name.key(),
                ]
                .into_iter()
                .flatten()
                {
                    errors.spanned(
                        key,
                        format!("`{key}` configures the function's own breaker, but `breaker = ...` uses an existing one; configure that breaker where it is built"),
                    );
                }
            }
        }
        Specific::Timeout(timeout) => {
            if timeout.after.get().is_none() {
                errors.at(
                    span,
                    "`#[timeout]` needs a duration, e.g. `#[timeout(10s)]`",
                );
            }
        }
        Specific::Fallback(fallback) => {
            if fallback.agents.get().is_none() {
                errors.at(
                    span,
                    "`#[fallback]` needs `agents = [...]`, the functions to call in order",
                );
            }
        }
    }
    let _ = kind;
}
