//! Duration values: `250ms`, `10s`, `1.5s`, `2m`, `1h`, `500us`, or any expression.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

/// A duration argument, resolved to nanoseconds when written as a literal so the macro
/// can check it against other literals (`base` <= `max`).
#[derive(Clone)]
pub(crate) enum DurationArg {
    Literal { nanos: u128, span: Span },
    Expr(Box<Expr>),
}

const UNITS: &str = "`us`, `ms`, `s`, `m` or `h`";

impl DurationArg {
    pub(crate) fn parse(expr: Expr) -> syn::Result<Self> {
        let lit = match &expr {
            Expr::Lit(lit) => &lit.lit,
            Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr: inner,
                ..
            }) if matches!(&**inner, Expr::Lit(_)) => {
                return Err(syn::Error::new_spanned(
                    &expr,
                    "a duration cannot be negative; write e.g. `10s`",
                ));
            }
            _ => return Ok(DurationArg::Expr(Box::new(expr))),
        };
        let (digits, suffix, span) = match lit {
            Lit::Int(int) => (int.base10_digits().to_owned(), int.suffix(), int.span()),
            Lit::Float(float) => (
                float.base10_digits().to_owned(),
                float.suffix(),
                float.span(),
            ),
            Lit::Str(s) => {
                let hint =
                    match DurationArg::parse(s.parse::<Expr>().unwrap_or_else(|_| expr.clone())) {
                        Ok(DurationArg::Literal { .. }) => {
                            format!("; write `{}` without quotes", s.value().trim())
                        }
                        _ => String::new(),
                    };
                return Err(syn::Error::new(
                    s.span(),
                    format!("expected a duration such as `10s` or `250ms`, not a string{hint}"),
                ));
            }
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "expected a duration such as `10s` or `250ms`, or an expression of type `Duration`",
                ));
            }
        };
        let unit_nanos: u128 = match suffix {
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "a duration needs a unit: write `{digits}s` or `{digits}ms` (units: {UNITS})"
                    ),
                ));
            }
            other => {
                let fix = match corrected_unit(other) {
                    Some(unit) => format!("; write `{digits}{unit}`"),
                    None => String::new(),
                };
                return Err(syn::Error::new(
                    span,
                    format!("unknown duration unit `{other}`; expected {UNITS}{fix}"),
                ));
            }
        };
        let nanos = scale(&digits, unit_nanos).ok_or_else(|| {
            syn::Error::new(
                span,
                "duration out of range: it must be a whole number of nanoseconds that fits in a `Duration`",
            )
        })?;
        Ok(DurationArg::Literal { nanos, span })
    }

    pub(crate) fn literal_nanos(&self) -> Option<u128> {
        match self {
            DurationArg::Literal { nanos, .. } => Some(*nanos),
            DurationArg::Expr(_) => None,
        }
    }

    pub(crate) fn span(&self) -> Span {
        match self {
            DurationArg::Literal { span, .. } => *span,
            DurationArg::Expr(expr) => expr.span(),
        }
    }

    /// A `const`-evaluable `::core::time::Duration` expression, in the largest unit that
    /// holds the value exactly: `10s` is `from_secs(10)`, `1.5s` is `from_millis(1500)`.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        match self {
            DurationArg::Literal { nanos, span } => {
                let exact = [
                    ("from_secs", 1_000_000_000),
                    ("from_millis", 1_000_000),
                    ("from_micros", 1_000),
                    ("from_nanos", 1),
                ]
                .into_iter()
                .find_map(|(name, unit)| {
                    let count = u64::try_from(nanos / unit).ok()?;
                    (nanos % unit == 0).then_some((name, count))
                });
                if let Some((constructor, count)) = exact {
                    let constructor = Ident::new(constructor, *span);
                    let count = Literal::u64_unsuffixed(count);
                    quote_spanned!(*span=> ::core::time::Duration::#constructor(#count))
                } else {
                    // Over 584 years and not a whole number of microseconds.
                    let secs = Literal::u64_unsuffixed(
                        u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
                    );
                    let sub =
                        Literal::u32_unsuffixed(u32::try_from(nanos % 1_000_000_000).unwrap_or(0));
                    quote_spanned!(*span=> ::core::time::Duration::new(#secs, #sub))
                }
            }
            DurationArg::Expr(expr) => quote!(#expr),
        }
    }
}

/// The unit that a misspelled one (`sec`, `mins`) means.
fn corrected_unit(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "sec" | "secs" | "second" | "seconds" | "S" => "s",
        "msec" | "msecs" | "millis" | "milli" | "MS" | "Ms" => "ms",
        "usec" | "usecs" | "micros" | "micro" | "US" => "us",
        "min" | "mins" | "minute" | "minutes" | "M" => "m",
        "hr" | "hrs" | "hour" | "hours" | "H" => "h",
        _ => return None,
    })
}

/// `digits` (decimal, maybe with a fraction or exponent) times `unit` nanoseconds,
/// exactly; `None` when not a whole number of nanoseconds or out of range.
fn scale(digits: &str, unit: u128) -> Option<u128> {
    let (mantissa, exponent) = match digits.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (digits, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut value: u128 = format!("{whole}{fraction}").parse().ok()?;
    value = value.checked_mul(unit)?;
    let shift = exponent - i32::try_from(fraction.len()).ok()?;
    if shift >= 0 {
        value = value.checked_mul(10u128.checked_pow(shift.unsigned_abs())?)?;
    } else {
        let divisor = 10u128.checked_pow(shift.unsigned_abs())?;
        if value % divisor != 0 {
            return None;
        }
        value /= divisor;
    }
    // Duration holds u64 seconds.
    (value / 1_000_000_000 <= u128::from(u64::MAX)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn scales_exactly() {
        assert_eq!(scale("250", 1_000_000), Some(250_000_000));
        assert_eq!(scale("1.5", 1_000_000_000), Some(1_500_000_000));
        assert_eq!(scale("2", 60_000_000_000), Some(120_000_000_000));
        assert_eq!(scale("1e3", 1_000_000), Some(1_000_000_000));
        assert_eq!(scale("0.0000000001", 1_000_000_000), None);
        assert_eq!(scale("99999999999999999999999", 3_600_000_000_000), None);
    }
}
