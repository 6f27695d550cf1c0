//! Durations written for people, in messages: `30s`, `2.5s`, `250ms`.

use core::fmt;
use core::time::Duration;

/// `duration` rounded to what a reader needs: whole seconds from a minute, tenths of a
/// second from 1 s, whole milliseconds below, `0s` for nothing left. Errors keep the exact value
/// in their fields; this is only for their messages.
pub(crate) fn duration(duration: Duration) -> impl fmt::Display {
    Human(duration)
}

struct Human(Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Rounded to the nearest unit shown; `u128` never overflows here.
        let nanos = self.0.as_nanos();
        if nanos >= 59_950_000_000 {
            write!(f, "{}s", (nanos + 500_000_000) / 1_000_000_000)
        } else if nanos >= 999_500_000 {
            let tenths = (nanos + 50_000_000) / 100_000_000;
            match tenths % 10 {
                0 => write!(f, "{}s", tenths / 10),
                rest => write!(f, "{}.{rest}s", tenths / 10),
            }
        } else if nanos >= 500_000 {
            write!(f, "{}ms", (nanos + 500_000) / 1_000_000)
        } else if nanos > 0 {
            write!(f, "{}us", (nanos + 500).max(1_000) / 1_000)
        } else {
            f.write_str("0s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(nanos: u64) -> String {
        duration(Duration::from_nanos(nanos)).to_string()
    }

    #[test]
    fn rounds_to_what_a_reader_needs() {
        assert_eq!(shown(29_999_992_726), "30s");
        assert_eq!(shown(12_500_000_000), "12.5s");
        assert_eq!(shown(59_960_000_000), "60s");
        assert_eq!(shown(90_400_000_000), "90s");
        assert_eq!(shown(9_999_000_000), "10s");
        assert_eq!(shown(2_449_000_000), "2.4s");
        assert_eq!(shown(2_000_000_000), "2s");
        assert_eq!(shown(999_600_000), "1s");
        assert_eq!(shown(250_400_000), "250ms");
        assert_eq!(shown(1_000_000), "1ms");
        assert_eq!(shown(400_000), "400us");
        assert_eq!(shown(1), "1us");
        assert_eq!(shown(0), "0s");
        assert_eq!(duration(Duration::MAX).to_string(), "18446744073709551616s");
    }
}
