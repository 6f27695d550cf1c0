//! Breakers' open periods shared by the fleet, as advice: a breaker that opens on its
//! own outcomes publishes its open period under `{prefix}cb:{name}`, and every replica
//! polls those keys and opens its own closed breaker of that name for what is left
//! ([`CircuitBreaker::open_for`]). Each replica still decides from its own outcomes once
//! the period ends; nothing here runs on a call's path.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use resilience_core::circuit::{CircuitBreaker, State};

use crate::keyed::{self, Keyed};
use crate::store::Inner;

/// The longest open period a value may advise: past it the value is not one a replica
/// wrote (a breaker's open period is seconds to minutes).
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// Publishes an open period. `KEYS[1]`: the breaker's key; `ARGV[1]`: the period in
/// ms. The value is `cb1:{deadline}` in ms on Redis's clock, expiring with it. A longer
/// period published already stays. Answers `{1}` (published), `{0}` (a longer one was
/// there), `{-2}` (the key holds a value no replica wrote: left alone).
pub(crate) const PUBLISH: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[1])
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'none' and kind ~= 'string' then return {-2} end
if kind == 'string' then
  local held = string.match(redis.call('GET', KEYS[1]), '^cb1:(%d+)$')
  if not held or #held > 15 then return {-2} end
  if tonumber(held) >= now + period then return {0} end
end
redis.call('SET', KEYS[1], 'cb1:' .. string.format('%.0f', now + period), 'PX', period)
return {1}
"#;

/// Reads the open periods of `KEYS` (every breaker's key) on Redis's clock: for each,
/// the ms left, -1 when none, -2 when the key holds a value no replica wrote.
pub(crate) const READ: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then
    out[i] = -1
  elseif kind ~= 'string' then
    out[i] = -2
  else
    local held = string.match(redis.call('GET', key), '^cb1:(%d+)$')
    if not held or #held > 15 then
      out[i] = -2
    else
      local left = tonumber(held) - now
      if left <= 0 then out[i] = -1 elseif left > 86400000 then out[i] = -2 else out[i] = left end
    end
  end
end
return out
"#;

/// What one answer of [`READ`] says of one breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Advice {
    /// No open period published (or it has ended).
    None,
    /// Another replica's open period, with this much left.
    Open(Duration),
    /// A value no replica wrote, or out of range.
    Foreign,
}

impl Advice {
    /// Validates one value of [`READ`]'s answer.
    pub(crate) fn from_reply(left: i64) -> Advice {
        match left {
            -1 => Advice::None,
            1.. if Duration::from_millis(left as u64) <= LONGEST => {
                Advice::Open(Duration::from_millis(left as u64))
            }
            _ => Advice::Foreign,
        }
    }
}

/// The breakers this replica shares, and what it told of the store.
struct Fleet {
    store: Arc<Inner>,
    breakers: Vec<Shared>,
    /// The breakers watched already, by address: a named policy's breaker is remade
    /// under the same name when its file changes, and the new one is watched too.
    seen: HashSet<usize>,
    /// What the keyed breakers' keys were told and said.
    keyed: Keyed,
    reachable: bool,
}

struct Shared {
    breaker: &'static CircuitBreaker,
    key: String,
    /// A foreign value was reported (once, until the key is clear again).
    foreign: bool,
}

/// Starts sharing the registered breakers through `store`: the poller, and one watcher
/// per breaker as the poller finds them in the registry.
pub(crate) fn start(store: Arc<Inner>) {
    let fleet = Fleet {
        store: store.clone(),
        breakers: Vec::new(),
        seen: HashSet::new(),
        keyed: Keyed::default(),
        reachable: true,
    };
    store.spawn(fleet.run());
}

impl Fleet {
    async fn run(mut self) {
        let mut ticks = tokio::time::interval(self.store.probe);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.find_new_breakers();
            self.poll().await;
        }
    }

    /// Breakers registered since the last look (an attribute's registers at its first
    /// call, a family's members as they are made, a named policy's breaker when a file
    /// remakes it): each gets a watcher.
    fn find_new_breakers(&mut self) {
        for breaker in resilience_core::registry::circuits() {
            if first_look(&mut self.seen, breaker) {
                let key = self.key_of(breaker.name());
                self.store.spawn(publish_open_periods(
                    self.store.clone(),
                    breaker,
                    key.clone(),
                ));
                self.breakers.push(Shared {
                    breaker,
                    key,
                    foreign: false,
                });
            }
        }
    }

    /// One look at every breaker's key: a closed breaker whose key holds another
    /// replica's open period opens for what is left of it. Keyed breakers first publish
    /// the periods their own outcomes started since the last look (see `keyed.rs`).
    async fn poll(&mut self) {
        let keyed = self.keyed.look();
        let keyed_keys: Vec<String> = keyed.iter().map(|seen| self.key_of(&seen.name)).collect();
        for (seen, key) in keyed.iter().zip(&keyed_keys) {
            if let Some(left) = seen.to_publish {
                let mut foreign = self.keyed.foreign(&seen.name);
                if publish(&self.store, &seen.name, key, left, &mut foreign).await {
                    self.keyed.published(&seen.name, left);
                }
                self.keyed.set_foreign(&seen.name, foreign);
            }
        }
        let mut keys: Vec<String> = self.breakers.iter().map(|b| b.key.clone()).collect();
        keys.extend(keyed_keys.iter().cloned());
        if keys.is_empty() {
            return;
        }
        let reply = self
            .store
            .script_round_trip(&self.store.breaker_read, &keys, &[])
            .await;
        let reply = match reply {
            Ok(reply) if reply.len() == keys.len() => reply,
            Ok(_) => return self.unreachable("an answer of another shape than the script's"),
            Err(reason) => return self.unreachable(&reason),
        };
        if !self.reachable {
            self.reachable = true;
            tracing::info!(
                target: "resilience",
                store = self.store.shown(),
                "shared breaker periods reachable again"
            );
        }
        let (own, of_keys) = reply.split_at(self.breakers.len());
        for (shared, left) in self.breakers.iter_mut().zip(own) {
            let breaker = shared.breaker;
            heed(
                &self.store,
                Advice::from_reply(*left),
                breaker.name(),
                &shared.key,
                &mut shared.foreign,
                |left| breaker.state() == State::Closed && breaker.open_for(left),
            );
        }
        for ((seen, key), left) in keyed.iter().zip(&keyed_keys).zip(of_keys) {
            let mut foreign = self.keyed.foreign(&seen.name);
            heed(
                &self.store,
                Advice::from_reply(*left),
                &seen.name,
                key,
                &mut foreign,
                |left| keyed::advise(&seen.name, left),
            );
            self.keyed.set_foreign(&seen.name, foreign);
        }
    }

    /// The store key of the breaker named `name`.
    fn key_of(&self, name: &str) -> String {
        format!("{}cb:{}", self.store.prefix, name)
    }

    fn unreachable(&mut self, reason: &str) {
        if self.reachable {
            self.reachable = false;
            tracing::warn!(
                target: "resilience",
                store = self.store.shown(),
                reason = %reason,
                "shared breaker periods unavailable: each breaker decides alone"
            );
        }
    }
}

/// Whether `breaker` is seen for the first time. By address, not by name: two
/// breakers of one name (a named policy's, remade by a reload) are both shared, under
/// the one key of that name.
fn first_look(seen: &mut HashSet<usize>, breaker: &'static CircuitBreaker) -> bool {
    seen.insert(core::ptr::from_ref(breaker) as usize)
}

/// Publishes every open period `breaker`'s own outcomes start (not those it was
/// advised: no replica extends another's period by echoing it).
async fn publish_open_periods(store: Arc<Inner>, breaker: &'static CircuitBreaker, key: String) {
    let mut states = breaker.subscribe();
    let mut foreign = false;
    loop {
        states.borrow_and_update();
        if let Some(left) = keyed::own_open_period(breaker) {
            publish(&store, breaker.name(), &key, left, &mut foreign).await;
        }
        if states.changed().await.is_err() {
            return;
        }
    }
}

/// Publishes an open period of `left` from now under `key`; whether it was (not when a
/// longer one is there, the key holds a value no replica wrote, or Redis does not
/// answer, which the poller reports). `foreign`: that value was reported already.
async fn publish(store: &Inner, name: &str, key: &str, left: Duration, foreign: &mut bool) -> bool {
    // Rounded up, so that the key never expires before the period ends.
    let millis = left.as_micros().div_ceil(1_000).to_string();
    let reply = store
        .script_round_trip(&store.breaker_publish, &[key.to_owned()], &[millis])
        .await;
    match reply.as_deref() {
        Ok([1]) => {
            store.counters.published.fetch_add(1, Relaxed);
            *foreign = false;
            true
        }
        Ok([-2]) => {
            if !*foreign {
                *foreign = true;
                foreign_value(store, name, key, "not published");
            }
            false
        }
        _ => false,
    }
}

/// Acts on what one breaker's key says: another replica's period opens it for what is
/// left (`open`, which says whether it did: only a closed breaker opens); a value no
/// replica wrote is reported once (`foreign`: reported already, until the key is clear).
fn heed(
    store: &Inner,
    advice: Advice,
    name: &str,
    key: &str,
    foreign: &mut bool,
    open: impl FnOnce(Duration) -> bool,
) {
    match advice {
        Advice::None => *foreign = false,
        Advice::Foreign => {
            if !*foreign {
                *foreign = true;
                foreign_value(store, name, key, "ignored");
            }
        }
        Advice::Open(left) => {
            *foreign = false;
            if open(left) {
                store.counters.advised.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Says that `key` holds a value no replica wrote, and what is done about it.
fn foreign_value(store: &Inner, name: &str, key: &str, done: &str) {
    tracing::warn!(
        target: "resilience",
        name,
        key,
        store = store.shown(),
        "shared breaker key holds a value no replica wrote: {done}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_validated() {
        assert_eq!(Advice::from_reply(-1), Advice::None);
        assert_eq!(Advice::from_reply(-2), Advice::Foreign);
        assert_eq!(Advice::from_reply(0), Advice::Foreign);
        assert_eq!(Advice::from_reply(i64::MIN), Advice::Foreign);
        assert_eq!(
            Advice::from_reply(1_500),
            Advice::Open(Duration::from_millis(1_500))
        );
        assert_eq!(Advice::from_reply(86_400_000), Advice::Open(LONGEST));
        assert_eq!(Advice::from_reply(86_400_001), Advice::Foreign);
        assert_eq!(Advice::from_reply(i64::MAX), Advice::Foreign);
    }

    #[test]
    fn a_breaker_remade_under_its_name_is_watched_too() {
        let make = || -> &'static CircuitBreaker {
            Box::leak(Box::new(
                CircuitBreaker::builder().name("llm").build().unwrap(),
            ))
        };
        let (first, remade) = (make(), make());
        let mut seen = HashSet::new();
        assert!(first_look(&mut seen, first));
        assert!(!first_look(&mut seen, first), "watched once");
        assert!(first_look(&mut seen, remade), "same name, another breaker");
    }
}
