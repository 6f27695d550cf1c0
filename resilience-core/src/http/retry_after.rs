//! The delay a server asked for: `retry-after-ms` and `Retry-After` (seconds or HTTP-date).
//!
//! Header values come from the network, so every parser here is total: it returns `None`
//! for anything it does not understand, saturates instead of overflowing, and never
//! panics or allocates.

use std::time::{Duration, SystemTime};

use ::http::HeaderMap;
use ::http::header::RETRY_AFTER;

/// The non-standard header OpenAI- and Anthropic-style APIs send beside `Retry-After`,
/// with millisecond precision.
const RETRY_AFTER_MS: &str = "retry-after-ms";

/// The delay the server asked for before the next attempt, exactly.
///
/// Forms, in order of precedence (the first one present *and readable* wins; an unreadable
/// one is skipped as if absent):
///
/// 1. `retry-after-ms: 1500` (or `1500.5`): milliseconds.
/// 2. `Retry-After: 120` (or `1.5`): seconds, [RFC 9110 §10.2.3] plus the fractional form
///    some servers send.
/// 3. `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`: an HTTP-date (IMF-fixdate, or the
///    obsolete RFC 850 and asctime forms), measured from `now`, the moment the response
///    was received. A date in the past (or equal to `now`) gives [`Duration::ZERO`]: the
///    server allows a retry at once.
///
/// Numbers are plain non-negative decimals (digits, optionally `.` and more digits;
/// surrounding whitespace allowed). A sign, an exponent, `inf`, an empty value, a
/// non-ASCII value, or anything else unreadable is ignored. A repeated header is read at its
/// first occurrence. A delay too long for a [`Duration`] saturates at [`Duration::MAX`].
/// Nothing here can overflow or panic, whatever the headers hold.
///
/// **The delay is never shortened.** A server that asks for longer than the caller is
/// willing to wait must not be retried early: return the real delay, and let the retry
/// policy give up (a server delay longer than `#[retry(max = ..)]` ends the retries at
/// once). Against a server that answers `Retry-After: 0` to every request, raise the
/// floor instead with [`retry_after_min`].
///
/// `now` is a parameter rather than a call to [`SystemTime::now`] so that tests are exact;
/// pass `SystemTime::now()` when the response arrives. (HTTP-dates are wall-clock times,
/// so this is the one place in the crate that does not use tokio's clock.)
///
/// [RFC 9110 §10.2.3]: https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, HeaderValue};
/// use resilience_core::http::retry_after;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40 UTC
/// let mut headers = HeaderMap::new();
/// assert_eq!(retry_after(&headers, now), None);
///
/// headers.insert("retry-after", HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(80)));
///
/// headers.insert("retry-after", HeaderValue::from_static("7"));
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
///
/// headers.insert("retry-after-ms", HeaderValue::from_static("250"));
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_millis(250)));
///
/// headers.insert("retry-after-ms", HeaderValue::from_static("-250")); // skipped
/// assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
/// ```
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());

    let delay = header(RETRY_AFTER_MS)
        .and_then(|value| parse_decimal(value).map(|(ms, frac)| millis(ms, frac)))
        .or_else(|| {
            let value = header(RETRY_AFTER.as_str())?;
            match parse_decimal(value) {
                Some((secs, frac)) => Some(seconds(secs, frac)),
                None => Some(until(httpdate::parse_http_date(value).ok()?, now)),
            }
        })?;
    Some(delay)
}

/// [`retry_after`], raised to at least `min`: for servers that answer `Retry-After: 0`
/// (or a few milliseconds) to every request while overloaded, so that a client obeying
/// them does not retry in a tight loop. Still never shorter than what the server asked.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use http::{HeaderMap, HeaderValue};
/// use resilience_core::http::retry_after_min;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("retry-after", HeaderValue::from_static("0"));
/// let floor = Duration::from_millis(500);
/// assert_eq!(retry_after_min(&headers, SystemTime::now(), floor), Some(floor));
/// headers.insert("retry-after", HeaderValue::from_static("30"));
/// assert_eq!(retry_after_min(&headers, SystemTime::now(), floor), Some(Duration::from_secs(30)));
/// ```
pub fn retry_after_min(headers: &HeaderMap, now: SystemTime, min: Duration) -> Option<Duration> {
    retry_after(headers, now).map(|delay| delay.max(min))
}

/// Digits in one fraction: nanoseconds per unit.
const FRACTION_DIGITS: usize = 9;

/// Parses `DIGITS` or `DIGITS.DIGITS` (whitespace around allowed) into the whole part,
/// saturated at `u64::MAX`, and the fraction in billionths (digits past the ninth are
/// checked but dropped).
fn parse_decimal(value: &str) -> Option<(u64, u32)> {
    let value = value.trim_ascii();
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = whole.bytes().fold(0u64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });

    let mut billionths = 0u32;
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut scale = 100_000_000u32;
        for digit in fraction.bytes().take(FRACTION_DIGITS) {
            billionths += u32::from(digit - b'0') * scale;
            scale /= 10;
        }
    }
    Some((whole, billionths))
}

/// `secs` seconds plus `billionths` of a second, saturating at [`Duration::MAX`].
fn seconds(secs: u64, billionths: u32) -> Duration {
    Duration::from_secs(secs).saturating_add(Duration::from_nanos(u64::from(billionths)))
}

/// `ms` milliseconds plus `billionths` of a millisecond, saturating at [`Duration::MAX`].
fn millis(ms: u64, billionths: u32) -> Duration {
    Duration::from_millis(ms).saturating_add(Duration::from_nanos(u64::from(billionths / 1_000)))
}

/// How long from `now` until `date`; zero when `date` is not after `now`.
fn until(date: SystemTime, now: SystemTime) -> Duration {
    date.duration_since(now).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_forms() {
        assert_eq!(parse_decimal("0"), Some((0, 0)));
        assert_eq!(parse_decimal(" 12 "), Some((12, 0)));
        assert_eq!(parse_decimal("1.5"), Some((1, 500_000_000)));
        assert_eq!(parse_decimal("1.0000000019"), Some((1, 1)));
        assert_eq!(
            parse_decimal("99999999999999999999999"),
            Some((u64::MAX, 0))
        );
        for bad in [
            "", " ", ".", "1.", ".5", "-1", "+1", "1e3", "1_000", "1,5", "inf", "1.2.3",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unit_conversions_saturate() {
        assert_eq!(millis(1, 500_000_000), Duration::from_micros(1_500));
        assert_eq!(seconds(u64::MAX, 999_999_999), Duration::MAX);
        assert_eq!(
            millis(u64::MAX, 999_999_999),
            Duration::from_millis(u64::MAX) + Duration::from_nanos(999_999)
        );
    }
}
