//! What an OpenAI-style server says is left of an API key: `x-ratelimit-*` headers.
//!
//! Header values come from the network, so parsing is total: a value that is not exactly
//! what the format says (a sign, an empty value, a number that overflows, a unit that is
//! not one) reads as absent, never as a panic or a wrapped number.

use std::time::Duration;

use ::http::HeaderMap;

use crate::rate_limit::{ServerReport, Window};

/// Reads OpenAI-style rate-limit headers into a report for
/// [`RateLimiter::follow`](crate::rate_limit::RateLimiter::follow):
///
/// | header | field |
/// |---|---|
/// | `x-ratelimit-limit-requests`, `x-ratelimit-limit-tokens` | [`Window::limit`] |
/// | `x-ratelimit-remaining-requests`, `x-ratelimit-remaining-tokens` | [`Window::remaining`] |
/// | `x-ratelimit-reset-requests`, `x-ratelimit-reset-tokens` (`"6m0s"`, `"1s"`, `"20ms"`) | [`Window::reset`] |
///
/// A limit is reported only when its `remaining` header is there and readable (digits
/// only); `limit` and `reset` are optional, and an unreadable one is left out. A repeated
/// header is read at its first occurrence. Never panics, whatever the headers hold.
///
/// ```
/// use std::time::Duration;
/// use http::{HeaderMap, HeaderValue};
/// use resilience_core::http::rate_limit_report;
/// use resilience_core::rate_limit::{RateLimiter, Window};
///
/// let mut headers = HeaderMap::new();
/// headers.insert("x-ratelimit-limit-tokens", HeaderValue::from_static("200000"));
/// headers.insert("x-ratelimit-remaining-tokens", HeaderValue::from_static("150000"));
/// headers.insert("x-ratelimit-reset-tokens", HeaderValue::from_static("6m0s"));
/// headers.insert("x-ratelimit-remaining-requests", HeaderValue::from_static("-1")); // garbage
///
/// let report = rate_limit_report(&headers);
/// assert_eq!(
///     report.tokens,
///     Some(Window { limit: Some(200_000), remaining: 150_000, reset: Some(Duration::from_secs(360)) }),
/// );
/// assert_eq!(report.requests, None);
///
/// // The limiter holds no more than the server says is left.
/// let limiter = RateLimiter::builder().tokens(200_000).build()?;
/// limiter.follow(&report);
/// assert!(limiter.left().tokens.unwrap() <= 150_000);
/// # Ok::<(), resilience_core::ConfigError>(())
/// ```
pub fn rate_limit_report(headers: &HeaderMap) -> ServerReport {
    ServerReport {
        requests: window(headers, "requests"),
        tokens: window(headers, "tokens"),
    }
}

/// One limit's window: its three headers.
fn window(headers: &HeaderMap, limit: &str) -> Option<Window> {
    let header = |kind: &str| {
        headers
            .get(format!("x-ratelimit-{kind}-{limit}"))
            .and_then(|value| value.to_str().ok())
    };
    Some(Window {
        remaining: header("remaining").and_then(parse_count)?,
        limit: header("limit").and_then(parse_count),
        reset: header("reset").and_then(parse_reset),
    })
}

/// A count: ASCII digits only (whitespace around allowed); `None` for anything else or
/// a number above `u64::MAX`.
fn parse_count(value: &str) -> Option<u64> {
    let value = value.trim_ascii();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Reads a reset time the way OpenAI writes it, Go's duration format: one or more
/// `NUMBER UNIT` pairs, the number a non-negative decimal (`1.5`), the unit one of `h`,
/// `m`, `s`, `ms`, `us` (or `µs`), `ns`: `"6m0s"`, `"1s"`, `"20ms"`, `"1h2m3.5s"`; `"0"`
/// alone is zero. `None` for anything else (a sign, a bare number, an unknown unit, a
/// missing number) and for a duration that does not fit in a [`Duration`].
///
/// ```
/// use std::time::Duration;
/// use resilience_core::http::parse_reset;
///
/// assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
/// assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
/// assert_eq!(parse_reset("1.5s"), Some(Duration::from_millis(1_500)));
/// assert_eq!(parse_reset("-1s"), None);
/// assert_eq!(parse_reset("soon"), None);
/// ```
pub fn parse_reset(value: &str) -> Option<Duration> {
    let mut rest = value.trim_ascii();
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest)?;
        let (unit, after) = split_unit(after)?;
        nanos = nanos.checked_add(number.nanos(unit)?)?;
        rest = after;
    }
    let secs = u64::try_from(nanos / NANOS_PER_SECOND).ok()?;
    // Below a billion: fits.
    let subsec = (nanos % NANOS_PER_SECOND) as u32;
    Some(Duration::new(secs, subsec))
}

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Fraction digits kept: finer than a nanosecond of the largest unit (an hour).
const FRACTION_DIGITS: usize = 13;

/// `DIGITS` or `DIGITS.DIGITS` (or `.DIGITS`, as Go allows).
struct Number {
    whole: u128,
    fraction: u128,
    /// `10^(fraction digits kept)`.
    scale: u128,
}

impl Number {
    /// This many `unit_nanos`, in nanoseconds; `None` on overflow.
    fn nanos(&self, unit_nanos: u128) -> Option<u128> {
        let whole = self.whole.checked_mul(unit_nanos)?;
        whole.checked_add(self.fraction * unit_nanos / self.scale)
    }
}

/// The number at the start of `text`, and what follows it.
fn split_number(text: &str) -> Option<(Number, &str)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let whole_len = digits(text);
    let (whole_text, after) = text.split_at(whole_len);
    let (fraction_text, after) = match after.strip_prefix('.') {
        Some(after) => {
            let len = digits(after);
            after.split_at(len)
        }
        None => ("", after),
    };
    if whole_text.is_empty() && fraction_text.is_empty() {
        return None;
    }
    // Leading zeros cost nothing; any other digit past 39 overflows a u128.
    let whole = whole_text
        .trim_start_matches('0')
        .bytes()
        .try_fold(0u128, |acc, digit| {
            acc.checked_mul(10)?.checked_add(u128::from(digit - b'0'))
        })?;
    let kept = &fraction_text[..fraction_text.len().min(FRACTION_DIGITS)];
    let fraction = kept
        .bytes()
        .fold(0u128, |acc, digit| acc * 10 + u128::from(digit - b'0'));
    let scale = 10u128.pow(kept.len() as u32);
    Some((
        Number {
            whole,
            fraction,
            scale,
        },
        after,
    ))
}

/// The unit at the start of `text`, in nanoseconds, and what follows it.
fn split_unit(text: &str) -> Option<(u128, &str)> {
    // Longest first: `ms` before `m`.
    const UNITS: &[(&str, u128)] = &[
        ("ns", 1),
        ("us", 1_000),
        ("\u{b5}s", 1_000),
        ("\u{3bc}s", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
    ];
    UNITS
        .iter()
        .find_map(|(unit, nanos)| text.strip_prefix(unit).map(|rest| (*nanos, rest)))
}

#[cfg(test)]
mod tests {
    use ::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn openai_forms() {
        let cases = [
            ("6m0s", Duration::from_secs(360)),
            ("1s", Duration::from_secs(1)),
            ("20ms", Duration::from_millis(20)),
            ("0s", Duration::ZERO),
            ("0", Duration::ZERO),
            ("1h2m3.5s", Duration::from_millis(3_723_500)),
            ("59.999s", Duration::from_millis(59_999)),
            ("7m12s", Duration::from_secs(432)),
            ("1.5h", Duration::from_secs(5_400)),
            (".5s", Duration::from_millis(500)),
            ("250us", Duration::from_micros(250)),
            ("250µs", Duration::from_micros(250)),
            ("3ns", Duration::from_nanos(3)),
            (" 1s ", Duration::from_secs(1)),
            ("0.0000000001s", Duration::ZERO),
            // Go reads a number with an empty fraction as the whole number.
            ("1.s", Duration::from_secs(1)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_reset(text), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn garbage_is_absent() {
        for bad in [
            "", " ", "-1s", "+1s", "1", "5", "s", "1x", "1 s", "1s2", ".s", "1..5s", "1e3s", "inf",
            "1S", "1min", "NaN", "1s-", "٣s", "1,5s",
        ] {
            assert_eq!(parse_reset(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn overflow_is_absent_not_wrapped() {
        assert_eq!(
            parse_reset("99999999999999999999999999999999999999999999h"),
            None
        );
        // Fits in a u128 of nanoseconds, not in a Duration.
        assert_eq!(parse_reset("18446744073709551616s"), None);
        assert_eq!(
            parse_reset("18446744073709551615s"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            parse_reset(&"1h".repeat(10_000)),
            Some(Duration::from_secs(36_000_000))
        );
    }

    #[test]
    fn counts_are_digits_only() {
        assert_eq!(parse_count("150000"), Some(150_000));
        assert_eq!(parse_count(" 7 "), Some(7));
        assert_eq!(parse_count("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "-1", "+1", "1.5", "1e3", "18446744073709551616", "12a"] {
            assert_eq!(parse_count(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_report_needs_remaining_and_keeps_what_it_can_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ratelimit-remaining-requests",
            HeaderValue::from_static("499"),
        );
        headers.insert(
            "x-ratelimit-limit-requests",
            HeaderValue::from_static("lots"),
        );
        headers.insert(
            "x-ratelimit-reset-requests",
            HeaderValue::from_static("120ms"),
        );
        headers.insert(
            "x-ratelimit-limit-tokens",
            HeaderValue::from_static("30000"),
        );
        let report = rate_limit_report(&headers);
        assert_eq!(
            report.requests,
            Some(Window {
                limit: None,
                remaining: 499,
                reset: Some(Duration::from_millis(120)),
            })
        );
        assert_eq!(report.tokens, None);
        assert_eq!(
            rate_limit_report(&HeaderMap::new()),
            ServerReport::default()
        );
    }

    #[test]
    fn non_ascii_header_bytes_are_absent() {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_bytes(b"12\xff").expect("obs-text is a valid header value");
        headers.insert("x-ratelimit-remaining-tokens", value);
        assert_eq!(rate_limit_report(&headers).tokens, None);
    }

    /// Go's `Duration.String()`: `1h2m3.5s`, `20ms`, `0s`.
    fn go_format(duration: Duration) -> String {
        let nanos = duration.as_nanos();
        if nanos == 0 {
            return "0s".to_owned();
        }
        if nanos < 1_000_000_000 {
            let (unit, per) = if nanos < 1_000 {
                ("ns", 1)
            } else if nanos < 1_000_000 {
                ("µs", 1_000)
            } else {
                ("ms", 1_000_000)
            };
            return format!("{}{unit}", decimal(nanos, per));
        }
        let (hours, rest) = (nanos / 3_600_000_000_000, nanos % 3_600_000_000_000);
        let (minutes, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
        let mut text = String::new();
        if hours > 0 {
            text += &format!("{hours}h");
        }
        if hours > 0 || minutes > 0 {
            text += &format!("{minutes}m");
        }
        text + &format!("{}s", decimal(rest, 1_000_000_000))
    }

    /// `value / per` with its fraction, trailing zeros dropped.
    fn decimal(value: u128, per: u128) -> String {
        let (whole, fraction) = (value / per, value % per);
        if fraction == 0 {
            return whole.to_string();
        }
        let width = (per as f64).log10() as usize;
        let digits = format!("{fraction:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        /// Whatever the bytes, parsing returns (never panics).
        #[test]
        fn any_text_parses_or_is_absent(text in any::<String>()) {
            let _ = parse_reset(&text);
            let _ = parse_count(&text);
        }

        /// Any mix of units, with fractions of up to six digits, adds up exactly.
        #[test]
        fn components_add_up_exactly(
            parts in proptest::collection::vec((0u32..100_000, proptest::option::of(0u32..1_000_000), 0usize..6), 1..6),
        ) {
            const UNITS: [(&str, u128); 6] = [
                ("h", 3_600_000_000_000),
                ("m", 60_000_000_000),
                ("s", 1_000_000_000),
                ("ms", 1_000_000),
                ("us", 1_000),
                ("ns", 1),
            ];
            let mut text = String::new();
            let mut nanos = 0u128;
            for (whole, fraction, unit) in parts {
                let (name, per) = UNITS[unit];
                text += &whole.to_string();
                nanos += u128::from(whole) * per;
                if let Some(fraction) = fraction {
                    text += &format!(".{fraction:06}");
                    nanos += u128::from(fraction) * per / 1_000_000;
                }
                text += name;
            }
            let expected = Duration::from_nanos(u64::try_from(nanos).unwrap());
            prop_assert_eq!(parse_reset(&text), Some(expected), "{}", text);
        }

        /// A sign or a stray character anywhere makes a valid reset absent.
        #[test]
        fn a_stray_character_anywhere_makes_it_absent(
            nanos in 0u64..=u64::MAX,
            at in any::<prop::sample::Index>(),
            stray in prop::sample::select(vec!['-', '+', 'x', 'e', ',', '!', '_']),
        ) {
            let mut text = go_format(Duration::from_nanos(nanos));
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            text.insert(boundaries[at.index(boundaries.len())], stray);
            prop_assert_eq!(parse_reset(&text), None, "{}", text);
        }

        /// What Go writes, read back exactly.
        #[test]
        fn go_durations_read_back_exactly(nanos in 0u64..=u64::MAX) {
            let duration = Duration::from_nanos(nanos);
            prop_assert_eq!(parse_reset(&go_format(duration)), Some(duration));
        }

        /// Any header values: a report, never a panic; a window only with a count.
        #[test]
        fn any_header_values_give_a_report(
            remaining in proptest::collection::vec(any::<u8>(), 0..32),
            limit in proptest::collection::vec(any::<u8>(), 0..32),
            reset in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let mut headers = HeaderMap::new();
            for (name, bytes) in [
                ("x-ratelimit-remaining-tokens", &remaining),
                ("x-ratelimit-limit-tokens", &limit),
                ("x-ratelimit-reset-tokens", &reset),
            ] {
                if let Ok(value) = HeaderValue::from_bytes(bytes) {
                    headers.insert(name, value);
                }
            }
            let report = rate_limit_report(&headers);
            let readable = headers
                .get("x-ratelimit-remaining-tokens")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_count);
            prop_assert_eq!(report.tokens.map(|w| w.remaining), readable);
        }
    }
}
