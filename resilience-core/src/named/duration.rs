//! Human durations in a configuration file: the attributes' literal syntax as a string.

use core::time::Duration;

/// `"250ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"500us"`: a number (decimals
/// allowed) and one unit, as the attributes write them. `None` for anything else.
pub(super) fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))?;
    let (number, unit) = text.split_at(split);
    let nanos_per_unit: f64 = match unit {
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let number = number.replace('_', "");
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let nanos = value * nanos_per_unit;
    // Whole nanoseconds only, and within `Duration`'s range.
    if !nanos.is_finite() || nanos.fract() != 0.0 || nanos > u64::MAX as f64 {
        return None;
    }
    Some(Duration::from_nanos(nanos as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attribute_units() {
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("500us"), Some(Duration::from_micros(500)));
        assert_eq!(parse("1_000ms"), Some(Duration::from_secs(1)));
        assert_eq!(parse("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "10",
            "s",
            "10 s",
            "10sec",
            "1.s",
            ".5s",
            "-1s",
            "1e3ms",
            "0.5ns",
            "1.0000000001s",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
