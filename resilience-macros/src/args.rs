//! Each attribute's arguments: `key = value`, comma-separated, every key at most once.
//!
//! Parsing never stops at the first mistake: an unknown key, a duplicate, a value of the
//! wrong kind or out of range are all collected into [`Errors`], and the parser steps
//! over the bad value to the next comma, so one compile shows every mistake.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Pat, Path, Token};

use crate::duration::DurationArg;
use crate::errors::Errors;
use crate::stack::Kind;

/// A value and the key it was given under, set at most once (serde's `Attr<T>`).
pub(crate) struct Slot<T> {
    value: Option<(Ident, T)>,
    /// The key was given with a value that was refused: not "missing" then.
    refused: bool,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            value: None,
            refused: false,
        }
    }
}

impl<T> Slot<T> {
    fn set(&mut self, key: &Ident, value: T, errors: &mut Errors) {
        if self.value.is_some() || self.refused {
            errors.spanned(
                key,
                format!("duplicate `{key}` argument; keep only one `{key} = ...`"),
            );
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

    /// Neither given nor refused.
    fn is_missing(&self) -> bool {
        self.value.is_none() && !self.refused
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
    pub(crate) filter: Slot<Filter>,
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
    pub(crate) seed: Slot<u64>,
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
    Retry(Box<RetryArgs>),
    Circuit(Box<CircuitArgs>),
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

/// Every key of every attribute, with an example value for messages.
const RETRY_KEYS: &[(&str, &str)] = &[
    ("attempts", "3"),
    ("backoff", "\"exp\""),
    ("base", "1s"),
    ("factor", "2.0"),
    ("max", "10s"),
    ("jitter", "\"full\""),
    ("max_elapsed", "60s"),
    ("seed", "42"),
    ("on", "ApiError::Network"),
    ("when", "is_transient"),
    ("retry_after", "retry_after"),
    ("crate", "::resilience"),
];
const CIRCUIT_KEYS: &[(&str, &str)] = &[
    ("threshold", "3"),
    ("recovery", "30s"),
    ("success_threshold", "2"),
    ("probes", "2"),
    ("on", "ApiError::Network"),
    ("when", "is_failure"),
    ("name", "\"openai\""),
    ("breaker", "&BREAKER"),
    ("crate", "::resilience"),
];
const TIMEOUT_KEYS: &[(&str, &str)] = &[("crate", "::resilience")];
const FALLBACK_KEYS: &[(&str, &str)] = &[
    ("agents", "[backup]"),
    ("on", "ApiError::Network"),
    ("when", "is_transient"),
    ("crate", "::resilience"),
];

fn keys_of(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Retry => RETRY_KEYS,
        Kind::Circuit => CIRCUIT_KEYS,
        Kind::Timeout => TIMEOUT_KEYS,
        Kind::Fallback => FALLBACK_KEYS,
    }
}

/// Parses the arguments of one attribute; every problem goes to `errors`.
///
/// `span` is the attribute's, for errors about a key that is missing.
pub(crate) fn parse(kind: Kind, tokens: TokenStream, span: Span, errors: &mut Errors) -> LayerArgs {
    let mut args = LayerArgs {
        common: Common::default(),
        specific: match kind {
            Kind::Retry => Specific::Retry(Box::default()),
            Kind::Circuit => Specific::Circuit(Box::default()),
            Kind::Timeout => Specific::Timeout(TimeoutArgs::default()),
            Kind::Fallback => Specific::Fallback(FallbackArgs::default()),
        },
    };
    let parser = |input: ParseStream<'_>| {
        parse_list(input, kind, &mut args, errors);
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    validate(span, &args, errors);
    args
}

fn parse_list(input: ParseStream<'_>, kind: Kind, args: &mut LayerArgs, errors: &mut Errors) {
    while !input.is_empty() {
        let keyed =
            input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==]);
        if kind == Kind::Timeout && !keyed {
            // `#[timeout(10s)]`: the deadline, without a key.
            timeout_duration(input, args, errors);
        } else if input.peek(Ident::peek_any) {
            let key = input.call(Ident::parse_any).expect("peeked an identifier");
            if input.peek(Token![=]) {
                let _ = input.parse::<Token![=]>();
                parse_value(input, kind, &key, args, errors);
            } else {
                missing_value(input, kind, &key, errors);
            }
        } else {
            let example = keys_of(kind)[0];
            errors.push(input.error(format!(
                "expected `key = value`, e.g. `{} = {}`",
                example.0, example.1
            )));
            skip_value(input);
        }
        if input.is_empty() {
            break;
        }
        if input.peek(Token![,]) {
            let _ = input.parse::<Token![,]>();
        } else {
            errors.push(input.error("expected `,` between arguments"));
            skip_value(input);
            let _ = input.parse::<Token![,]>();
        }
    }
}

/// `#[timeout(10s)]` or `#[timeout(Duration::from_millis(250))]`.
fn timeout_duration(input: ParseStream<'_>, args: &mut LayerArgs, errors: &mut Errors) {
    let start = input.span();
    let Specific::Timeout(timeout) = &mut args.specific else {
        return;
    };
    let Some(duration) = value(input, errors, |input| DurationArg::parse(input.parse()?)) else {
        timeout.after.refused = true;
        return;
    };
    if timeout.after.get().is_some() {
        errors.at(start, "`#[timeout]` takes one duration; keep only one");
    } else {
        let key = Ident::new("after", start);
        timeout.after.set(&key, duration, errors);
    }
}

/// `attempts` with no `= value`.
fn missing_value(input: ParseStream<'_>, kind: Kind, key: &Ident, errors: &mut Errors) {
    let name = key.to_string();
    match keys_of(kind).iter().find(|(k, _)| *k == name) {
        Some((_, example)) => errors.spanned(
            key,
            format!("`{key}` needs a value, e.g. `{key} = {example}`"),
        ),
        None => unknown(key, kind, errors),
    }
    skip_value(input);
}

fn parse_value(
    input: ParseStream<'_>,
    kind: Kind,
    key: &Ident,
    args: &mut LayerArgs,
    errors: &mut Errors,
) {
    let name = key.to_string();
    let common = &mut args.common;
    match (name.as_str(), kind) {
        ("crate", _) => {
            if let Some(path) = value(input, errors, |input| crate_path(input, key)) {
                common.krate.set(key, path, errors);
            }
            return;
        }
        ("on", Kind::Retry | Kind::Circuit | Kind::Fallback) => {
            if let Some(pat) = value(input, errors, Pat::parse_multi_with_leading_vert) {
                set_filter(common, key, Filter::On(Box::new(pat)), errors);
            }
            return;
        }
        ("when", Kind::Retry | Kind::Circuit | Kind::Fallback) => {
            if let Some(expr) = value(input, errors, |input| input.parse::<Expr>()) {
                set_filter(common, key, Filter::When(Box::new(expr)), errors);
            }
            return;
        }
        _ => {}
    }
    match &mut args.specific {
        Specific::Retry(retry) => match name.as_str() {
            "attempts" => set(input, errors, &mut retry.attempts, key, |i| count(i, key)),
            "backoff" => set(input, errors, &mut retry.backoff, key, |i| {
                choice(i, key, &["exp", "fixed", "linear"])
            }),
            "base" => set(input, errors, &mut retry.base, key, duration),
            "factor" => set(input, errors, &mut retry.factor, key, factor),
            "max" => set(input, errors, &mut retry.max, key, duration),
            "jitter" => set(input, errors, &mut retry.jitter, key, |i| {
                choice(i, key, &["none", "full", "equal", "decorrelated"])
            }),
            "max_elapsed" => set(input, errors, &mut retry.max_elapsed, key, duration),
            "seed" => set(input, errors, &mut retry.seed, key, |i| {
                i.parse::<syn::LitInt>()?.base10_parse::<u64>()
            }),
            "retry_after" => set(input, errors, &mut retry.retry_after, key, |i| i.parse()),
            _ => unknown_with_value(input, key, kind, errors),
        },
        Specific::Circuit(circuit) => match name.as_str() {
            "threshold" => set(input, errors, &mut circuit.threshold, key, |i| {
                count(i, key)
            }),
            "recovery" => set(input, errors, &mut circuit.recovery, key, duration),
            "success_threshold" => set(input, errors, &mut circuit.success_threshold, key, |i| {
                count(i, key)
            }),
            "probes" => set(input, errors, &mut circuit.probes, key, |i| count(i, key)),
            "name" => set(input, errors, &mut circuit.name, key, breaker_name),
            "breaker" => set(input, errors, &mut circuit.breaker, key, |i| i.parse()),
            _ => unknown_with_value(input, key, kind, errors),
        },
        Specific::Timeout(_) => unknown_with_value(input, key, kind, errors),
        Specific::Fallback(fallback) => match name.as_str() {
            "agents" => set(input, errors, &mut fallback.agents, key, |i| agents(i, key)),
            _ => unknown_with_value(input, key, kind, errors),
        },
    }
}

/// Parses one value into `slot`, or reports why it could not.
fn set<T>(
    input: ParseStream<'_>,
    errors: &mut Errors,
    slot: &mut Slot<T>,
    key: &Ident,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) {
    match value(input, errors, parse) {
        Some(v) => slot.set(key, v, errors),
        None if slot.value.is_some() || slot.refused => {
            errors.spanned(
                key,
                format!("duplicate `{key}` argument; keep only one `{key} = ...`"),
            );
        }
        None => slot.refused = true,
    }
}

/// Parses one value (up to the next `,`) speculatively: on failure the error is
/// recorded, the rest of the value skipped, and `None` returned.
fn value<T>(
    input: ParseStream<'_>,
    errors: &mut Errors,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> Option<T> {
    if input.is_empty() || input.peek(Token![,]) {
        errors.push(input.error("expected a value after `=`"));
        return None;
    }
    let fork = input.fork();
    let parsed = parse(&fork).and_then(|v| {
        if fork.is_empty() || fork.peek(Token![,]) {
            Ok(v)
        } else {
            Err(fork.error("expected `,` after this argument's value"))
        }
    });
    match parsed {
        Ok(v) => {
            input.advance_to(&fork);
            Some(v)
        }
        Err(error) => {
            errors.push(error);
            skip_value(input);
            None
        }
    }
}

/// Steps over tokens up to the next top-level `,`.
fn skip_value(input: ParseStream<'_>) {
    while !input.is_empty() && !input.peek(Token![,]) {
        let _ = input.parse::<TokenTree>();
    }
}

fn set_filter(common: &mut Common, key: &Ident, filter: Filter, errors: &mut Errors) {
    match common.filter.key() {
        Some(first) if first != key => errors.spanned(
            key,
            format!(
                "`on` and `when` both choose which errors count; keep `{first}` or `{key}`, not both"
            ),
        ),
        _ => common.filter.set(key, filter, errors),
    }
}

/// An unknown key: steps over its value, so later keys are still checked.
fn unknown_with_value(input: ParseStream<'_>, key: &Ident, kind: Kind, errors: &mut Errors) {
    unknown(key, kind, errors);
    skip_value(input);
}

fn unknown(key: &Ident, kind: Kind, errors: &mut Errors) {
    let name = key.to_string();
    let attr = kind.name();
    let valid = keys_of(kind);
    let list = valid
        .iter()
        .map(|(k, _)| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if kind == Kind::Timeout {
        errors.spanned(
            key,
            format!("unknown `#[timeout]` argument `{key}`; write the duration alone, e.g. `#[timeout(10s)]` (the only key is `crate`)"),
        );
        return;
    }
    let other = [Kind::Retry, Kind::Circuit, Kind::Fallback]
        .into_iter()
        .filter(|other| *other != kind)
        .find(|other| keys_of(*other).iter().any(|(k, _)| *k == name));
    let message = if let Some(other) = other {
        format!(
            "`{key}` is an argument of `#[{}]`, not of `#[{attr}]`; `#[{attr}]` takes {list}",
            other.name()
        )
    } else if let Some(close) = closest(&name, valid.iter().map(|(k, _)| *k)) {
        format!(
            "unknown `#[{attr}]` argument `{key}`; did you mean `{close}`? (expected one of {list})"
        )
    } else {
        format!("unknown `#[{attr}]` argument `{key}`; expected one of {list}")
    };
    errors.spanned(key, message);
}

/// The candidate nearest to `word`, if it is near enough to be a typo of it.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| {
            *d <= (c.len().max(word.len()) / 3).max(1)
                || c.starts_with(word)
                || word.starts_with(*c)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// `crate = ::resilience`, `crate = my::resilience` or `crate = "my::resilience"`.
fn crate_path(input: ParseStream<'_>, key: &Ident) -> syn::Result<Path> {
    let hint = || {
        format!(
            "`{key}` takes the path of the `resilience` crate, e.g. `{key} = ::resilience` or `{key} = \"my::resilience\"`"
        )
    };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return lit
            .parse_with(Path::parse_mod_style)
            .map_err(|_| syn::Error::new(lit.span(), hint()));
    }
    let fork = input.fork();
    match fork.call(Path::parse_mod_style) {
        Ok(path) if fork.is_empty() || fork.peek(Token![,]) => {
            input.advance_to(&fork);
            Ok(path)
        }
        _ => {
            let span = input.span();
            skip_value(input);
            Err(syn::Error::new(span, hint()))
        }
    }
}

/// A whole number of at least 1: `attempts`, `threshold`, `success_threshold`, `probes`.
fn count(input: ParseStream<'_>, key: &Ident) -> syn::Result<u32> {
    let expr: Expr = input.parse()?;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) if lit.suffix().is_empty() || lit.suffix() == "u32" => lit,
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value().trim().parse::<u32>().is_ok() => {
            return Err(syn::Error::new_spanned(
                s,
                format!(
                    "`{key}` takes a number, not a string; write `{key} = {}`",
                    s.value().trim()
                ),
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes a whole number written out, e.g. `{key} = 3`"),
            ));
        }
    };
    let value: u32 = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), format!("`{key}` must fit in a `u32`")))?;
    if value == 0 {
        let message = if key == "attempts" {
            "`attempts` counts every call, the first included, so it must be at least 1; write `attempts = 1` for no retries".to_owned()
        } else {
            format!("`{key}` must be at least 1")
        };
        return Err(syn::Error::new(lit.span(), message));
    }
    Ok(value)
}

/// One of a few strings: `backoff = "exp"`, `jitter = "full"`.
fn choice(input: ParseStream<'_>, key: &Ident, valid: &[&str]) -> syn::Result<LitStr> {
    let list = valid
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let expr: Expr = input.parse()?;
    let lit = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => lit.clone(),
        Expr::Path(path) if path.path.get_ident().is_some() => {
            let word = path
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes a string; write `{key} = \"{word}\"` (one of {list})"),
            ));
        }
        _ => {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`{key}` takes one of {list}"),
            ));
        }
    };
    let value = lit.value();
    if !valid.contains(&value.as_str()) {
        let hint = match closest(&value, valid.iter().copied()) {
            Some(close) => format!("; did you mean \"{close}\"?"),
            None => String::new(),
        };
        return Err(syn::Error::new(
            lit.span(),
            format!("unknown `{key}` \"{value}\"; expected one of {list}{hint}"),
        ));
    }
    Ok(lit)
}

fn duration(input: ParseStream<'_>) -> syn::Result<DurationArg> {
    DurationArg::parse(input.parse()?)
}

/// `factor = 2.0`: a literal is checked here; an expression is left to the runtime's
/// `const` builder.
fn factor(input: ParseStream<'_>) -> syn::Result<TokenStream> {
    const FIX: &str = "a finite number of at least 1.0, e.g. `factor = 2.0`";
    let expr: Expr = input.parse()?;
    let (negative, lit) = match &expr {
        Expr::Lit(syn::ExprLit { lit, .. }) => (false, Some(lit)),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            Expr::Lit(syn::ExprLit { lit, .. }) => (true, Some(lit)),
            _ => (true, None),
        },
        _ => (false, None),
    };
    if let Some(lit) = lit {
        let value = match lit {
            Lit::Float(f) if matches!(f.suffix(), "" | "f64" | "f32") => {
                f.base10_parse::<f64>().ok()
            }
            Lit::Int(i) if i.suffix().is_empty() => i.base10_parse::<f64>().ok(),
            _ => None,
        };
        let Some(value) = value.map(|v| if negative { -v } else { v }) else {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` takes {FIX}"),
            ));
        };
        if !(value.is_finite() && value >= 1.0) {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` must be {FIX}: a smaller factor would shrink the delays"),
            ));
        }
        // Hand the runtime an `f64` literal, whatever the user wrote (`2` or `2.0`).
        let lit = proc_macro2::Literal::f64_unsuffixed(value);
        return Ok(quote::quote_spanned!(expr.span()=> #lit));
    }
    if let Expr::Path(path) = &expr {
        let last = path.path.segments.last().map(|s| s.ident.to_string());
        if matches!(
            last.as_deref(),
            Some("NAN" | "INFINITY" | "NEG_INFINITY" | "EPSILON" | "MIN_POSITIVE")
        ) {
            return Err(syn::Error::new_spanned(
                &expr,
                format!("`factor` must be {FIX}"),
            ));
        }
    }
    if negative {
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`factor` must be {FIX}"),
        ));
    }
    Ok(quote::quote!(#expr))
}

fn breaker_name(input: ParseStream<'_>) -> syn::Result<LitStr> {
    let expr: Expr = input.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            if lit.value().trim().is_empty() {
                Err(syn::Error::new(
                    lit.span(),
                    "a breaker's `name` must not be empty; leave `name` out to use the function's path",
                ))
            } else {
                Ok(lit)
            }
        }
        other => Err(syn::Error::new_spanned(
            other,
            "`name` takes a string literal, e.g. `name = \"openai\"`",
        )),
    }
}

/// `agents = [gpt35, local_llm, Self::cached]`.
fn agents(input: ParseStream<'_>, key: &Ident) -> syn::Result<Vec<Path>> {
    if !input.peek(syn::token::Bracket) {
        let expr: Expr = input.parse()?;
        let shown = quote::ToTokens::to_token_stream(&expr).to_string();
        return Err(syn::Error::new_spanned(
            &expr,
            format!("`{key}` takes a list of functions in brackets, e.g. `{key} = [{shown}]`"),
        ));
    }
    let content;
    let brackets = syn::bracketed!(content in input);
    let list = Punctuated::<Path, Token![,]>::parse_terminated(&content)?;
    let agents: Vec<Path> = list.into_iter().collect();
    if agents.is_empty() {
        return Err(syn::Error::new(
            brackets.span.join(),
            "`agents` needs at least one function, e.g. `agents = [backup]`",
        ));
    }
    let mut error: Option<syn::Error> = None;
    for (i, agent) in agents.iter().enumerate() {
        if agents[..i].contains(agent) {
            let e = syn::Error::new_spanned(
                agent,
                format!(
                    "`{}` is already in `agents`; each agent is called at most once, so list it once",
                    quote::ToTokens::to_token_stream(agent)
                        .to_string()
                        .replace(' ', "")
                ),
            );
            match &mut error {
                Some(first) => first.combine(e),
                None => error = Some(e),
            }
        }
    }
    error.map_or(Ok(agents), Err)
}

/// Rules that involve several keys, or a key that is missing.
fn validate(span: Span, args: &LayerArgs, errors: &mut Errors) {
    match &args.specific {
        Specific::Retry(retry) => {
            let base = retry.base.get().and_then(DurationArg::literal_nanos);
            let max = retry.max.get().and_then(DurationArg::literal_nanos);
            match (base, max) {
                (Some(b), Some(m)) if b > m => {
                    let at = retry.base.get().map_or(span, DurationArg::span);
                    errors.at(at, "`base` is longer than `max`: the first delay would already exceed the cap; lower `base` or raise `max`");
                }
                (Some(b), None) if retry.max.get().is_none() && b > 10_000_000_000 => {
                    let at = retry.base.get().map_or(span, DurationArg::span);
                    errors.at(at, "`base` is longer than the default `max` of 10s: the first delay would already exceed the cap; set `max` too, e.g. `max = 60s`");
                }
                (None, Some(m)) if retry.base.get().is_none() && m < 1_000_000_000 => {
                    let at = retry.max.get().map_or(span, DurationArg::span);
                    errors.at(at, "`max` is shorter than the default `base` of 1s; set `base` too, e.g. `base = 100ms`");
                }
                _ => {}
            }
        }
        Specific::Circuit(circuit) => {
            if circuit.breaker.key().is_some() {
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
                        format!("`{key}` configures a breaker that `#[circuit]` builds, but `breaker = ...` uses an existing one; set `{key}` where that breaker is built, or drop `breaker`"),
                    );
                }
            }
        }
        Specific::Timeout(timeout) => {
            if timeout.after.is_missing() {
                errors.at(
                    span,
                    "`#[timeout]` needs a duration, e.g. `#[timeout(10s)]`",
                );
            }
        }
        Specific::Fallback(fallback) => {
            if fallback.agents.is_missing() {
                errors.at(
                    span,
                    "`#[fallback]` needs the functions to call in order, e.g. `#[fallback(agents = [backup])]`",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn suggests_near_keys() {
        let keys = [
            "attempts",
            "backoff",
            "base",
            "max",
            "max_elapsed",
            "on",
            "when",
        ];
        assert_eq!(closest("attempt", keys.into_iter()), Some("attempts"));
        assert_eq!(closest("retries", keys.into_iter()), None);
        assert_eq!(
            closest("max_elpased", keys.into_iter()),
            Some("max_elapsed")
        );
        assert_eq!(
            closest("exponential", ["exp", "fixed", "linear"].into_iter()),
            Some("exp")
        );
        assert_eq!(
            closest(
                "random",
                ["none", "full", "equal", "decorrelated"].into_iter()
            ),
            None
        );
    }
}
