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

/// The script. `KEYS[1]`: the set of replicas that leased lately (a sorted set scored by
/// the last lease, in ms); then one key per limit. `ARGV[1]`: the period in µs,
/// `ARGV[2]`: this replica's id, `ARGV[3]`: how long a replica counts after its last
/// lease, in ms; then per limit: `amount`, `burst`, `want`, `need`. Answers
/// `{status, a, replicas}`: `status` 2 (`want` taken), 1 (`need` taken), 0 (nothing; `a`
/// = µs to wait), -1 (limit `a` holds a value that is not a time this limit could have
/// written), -2 (limit `a`'s key is of another type); `replicas` counts the set.
pub(crate) const LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local per = tonumber(ARGV[1])
local replicas = 0
local nowms = math.floor(now / 1000)
local ttl = tonumber(ARGV[3])
local z = redis.pcall('ZADD', KEYS[1], nowms, ARGV[2])
if not (type(z) == 'table' and z.err) then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowms - ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  replicas = redis.call('ZCARD', KEYS[1])
end
local n = #KEYS - 1
local tats, caps, amounts = {}, {}, {}
for i = 1, n do
  local amount = tonumber(ARGV[4 + (i - 1) * 4])
  local burst = tonumber(ARGV[5 + (i - 1) * 4])
  amounts[i] = amount
  caps[i] = math.ceil(burst * per / amount)
  local raw = redis.pcall('GET', KEYS[i + 1])
  if type(raw) == 'table' and raw.err then return {-2, i, replicas} end
  local tat = now
  if raw then
    local v = tonumber(raw)
    if v == nil or v ~= math.floor(v) or v < 0 or v > now + 100 * per + caps[i] then
      return {-1, i, replicas}
    end
    if v > now then tat = v end
  end
  tats[i] = tat
end
local function fits(which)
  local wait = 0
  for i = 1, n do
    local units = tonumber(ARGV[which + (i - 1) * 4])
    local ready = tats[i] + math.ceil(units * per / amounts[i]) - caps[i]
    if ready - now > wait then wait = ready - now end
  end
  return wait
end
local status = 0
if fits(6) == 0 then status = 2 elseif fits(7) == 0 then status = 1 end
if status == 0 then return {0, fits(7), replicas} end
for i = 1, n do
  local units = tonumber(ARGV[(status == 2 and 6 or 7) + (i - 1) * 4])
  local tat = tats[i] + math.ceil(units * per / amounts[i])
  local ttl = math.ceil((tat - now) / 1000)
  if ttl < 1 then ttl = 1 end
  redis.call('SET', KEYS[i + 1], string.format('%.0f', tat), 'PX', ttl)
end
return {status, 0, replicas}
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

/// How many replicas leased lately, from a reply (0 when it does not say, or says
/// something no fleet has).
pub(crate) fn replicas(reply: &[i64]) -> u64 {
    match reply {
        [_, _, replicas] if (1..=100_000).contains(replicas) => *replicas as u64,
        _ => 0,
    }
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
        assert_eq!(replicas(&[2, 0, 3]), 3);
        assert_eq!(replicas(&[2, 0, -3]), 0);
        assert_eq!(replicas(&[2, 0, i64::MAX]), 0);
        assert_eq!(replicas(&[2, 0]), 0);
    }
}
