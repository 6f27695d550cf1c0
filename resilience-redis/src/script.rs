//! GCRA in Redis: one Lua script that takes a lease from one or two limits atomically,
//! on Redis's own clock, and the validation of what it answers.
//!
//! The arithmetic is the one of `resilience_core::rate_limit` (a theoretical arrival
//! time per limit; see its module docs), in microseconds since the Unix epoch as Redis's
//! `TIME` gives them, so every replica counts on one clock whatever its own says. A key
//! expires when its bucket would be full again: idle limits leave nothing behind.
//!
//! A lease asks for `want` units of each limit and settles for `need` (what the waiting
//! call needs) when `want` does not fit; both limits are taken together or neither.

use std::time::Duration;

/// The script. `KEYS`: one per limit. `ARGV[1]`: the period in µs; then per limit:
/// `amount`, `burst`, `want`, `need`. Answers `{status, a, b}`:
/// `status` 2 (`want` taken), 1 (`need` taken), 0 (nothing; `a` = µs to wait),
/// -1 (key `a` holds a value that is not a time this limit could have written),
/// -2 (key `a` is of another type).
pub(crate) const LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local per = tonumber(ARGV[1])
local n = #KEYS
local tats, caps, amounts = {}, {}, {}
for i = 1, n do
  local amount = tonumber(ARGV[2 + (i - 1) * 4])
  local burst = tonumber(ARGV[3 + (i - 1) * 4])
  amounts[i] = amount
  caps[i] = math.ceil(burst * per / amount)
  local raw = redis.pcall('GET', KEYS[i])
  if type(raw) == 'table' and raw.err then return {-2, i, 0} end
  local tat = now
  if raw then
    local v = tonumber(raw)
    if v == nil or v ~= math.floor(v) or v < 0 or v > now + 100 * per + caps[i] then
      return {-1, i, 0}
    end
    if v > now then tat = v end
  end
  tats[i] = tat
end
local function fits(which)
  local wait = 0
  for i = 1, n do
    local units = tonumber(ARGV[(which) + (i - 1) * 4])
    local ready = tats[i] + math.ceil(units * per / amounts[i]) - caps[i]
    if ready - now > wait then wait = ready - now end
  end
  return wait
end
local status = 0
if fits(4) == 0 then status = 2 elseif fits(5) == 0 then status = 1 end
if status == 0 then return {0, fits(5), 0} end
for i = 1, n do
  local units = tonumber(ARGV[(status == 2 and 4 or 5) + (i - 1) * 4])
  local tat = tats[i] + math.ceil(units * per / amounts[i])
  local ttl = math.ceil((tat - now) / 1000)
  if ttl < 1 then ttl = 1 end
  redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', ttl)
end
return {status, 0, 0}
"#;

/// One limit as the script sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ask {
    pub(crate) amount: u64,
    pub(crate) burst: u64,
    pub(crate) want: u64,
    pub(crate) need: u64,
}

/// What the script answered, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Every limit's `want` was taken.
    Want,
    /// Every limit's `need` was taken (`want` did not fit).
    Need,
    /// Nothing fits before `wait`.
    Wait(Duration),
    /// Limit number `index` (0-based) holds a value this script did not write.
    Corrupt { index: usize },
    /// The reply itself is not one this script gives.
    Garbled,
}

/// Checks a reply: anything but the shapes the script returns is [`Answer::Garbled`],
/// never a panic or an admission.
pub(crate) fn answer(reply: &[i64], limits: usize) -> Answer {
    let [status, a, _] = reply else {
        return Answer::Garbled;
    };
    let index = |a: i64| match usize::try_from(a) {
        Ok(i) if (1..=limits).contains(&i) => Answer::Corrupt { index: i - 1 },
        _ => Answer::Garbled,
    };
    match *status {
        2 => Answer::Want,
        1 => Answer::Need,
        0 => match u64::try_from(*a) {
            // More than a day is no wait a limit of this kind gives.
            Ok(micros) if micros <= 86_400_000_000 => Answer::Wait(Duration::from_micros(micros)),
            _ => Answer::Garbled,
        },
        -1 | -2 => index(*a),
        _ => Answer::Garbled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_checked() {
        assert_eq!(answer(&[2, 0, 0], 1), Answer::Want);
        assert_eq!(answer(&[1, 0, 0], 2), Answer::Need);
        assert_eq!(
            answer(&[0, 1500, 0], 1),
            Answer::Wait(Duration::from_micros(1500))
        );
        assert_eq!(answer(&[-1, 2, 0], 2), Answer::Corrupt { index: 1 });
        assert_eq!(answer(&[-2, 1, 0], 1), Answer::Corrupt { index: 0 });
        for bad in [
            &[-1, 3, 0][..],
            &[-1, 0, 0],
            &[0, -5, 0],
            &[0, i64::MAX, 0],
            &[7, 0, 0],
            &[2, 0],
            &[],
        ] {
            assert_eq!(answer(bad, 2), Answer::Garbled, "{bad:?}");
        }
    }
}
