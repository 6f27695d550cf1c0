//! Retry budgets shared by the fleet: each replica publishes its own window (first
//! attempts and retries) to Redis and reads the others', so a withdrawal is checked
//! against the fleet's deposits and one floor for the whole fleet.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use resilience_core::retry::RetryBudget;
use resilience_core::retry::budget::shared::SharedBudget;

use crate::store::Inner;

/// Publishes this replica's window and learns the others'. `KEYS[1]`: the set of
/// replicas (a sorted set, scored by when each last published). `ARGV`: the prefix of
/// the replicas' keys, this replica's id, its first attempts, its retries in
/// thousandths, the window in ms. Answers `{1, first attempts, retries (thousandths),
/// replicas}` summed over the *other* replicas, or `{-1}` when a value is not one a
/// replica writes (`{-2}`: the set is of another type).
pub(crate) const LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local base, id, ttl = ARGV[1], ARGV[2], tonumber(ARGV[5])
local z = redis.pcall('ZADD', KEYS[1], now, id)
if type(z) == 'table' and z.err then return {-2, 0, 0, 0} end
redis.call('SET', base .. id, ARGV[3] .. ' ' .. ARGV[4], 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local d, s, n = 0, 0, 0
for _, other in ipairs(ids) do
  if other ~= id then
    local raw = redis.pcall('GET', base .. other)
    if type(raw) == 'table' then return {-1, 0, 0, 0} end
    if raw then
      local a, b = string.match(raw, '^(%d+) (%d+)$')
      if not a then return {-1, 0, 0, 0} end
      d = d + tonumber(a)
      s = s + tonumber(b)
      n = n + 1
    end
  end
end
return {1, d, s, n}
"#;

/// A registered budget's view of the fleet.
pub(crate) struct FleetBudget {
    store: Arc<Inner>,
    budget: &'static RetryBudget,
    id: String,
    members: String,
    base: String,
    others: Mutex<Option<Others>>,
}

/// What the other replicas published, as last learned (`None`: not known, or Redis
/// unreachable: the budget's own window is the rule).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Others {
    first_attempts: u64,
    retries: f64,
    /// How many they are.
    replicas: u64,
    /// This replica's own retries when it learned this.
    own_retries: f64,
}

impl FleetBudget {
    /// Attaches `budget` and starts publishing its window every tenth of it (at least
    /// every 100 ms, at most every second).
    pub(crate) fn start(store: Arc<Inner>, budget: &'static RetryBudget) -> Arc<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let base = format!("{}rb:{}:", store.prefix, budget.name());
        let this = Arc::new(FleetBudget {
            id: format!("{}-{nanos}", std::process::id()),
            members: format!("{base}replicas"),
            base: format!("{base}replica:"),
            store,
            budget,
            others: Mutex::new(None),
        });
        let every =
            (budget.window() / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
        let weak = Arc::downgrade(&this);
        this.store.spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(this) = weak.upgrade() else { return };
                this.publish().await;
            }
        });
        this
    }

    async fn publish(&self) {
        let own = self.budget.stats();
        let window_ms = u64::try_from(self.budget.window().as_millis()).unwrap_or(u64::MAX);
        let answer = self
            .store
            .budget_round_trip(
                &self.members,
                &[
                    self.base.clone(),
                    self.id.clone(),
                    own.first_attempts.to_string(),
                    ((own.retries * 1e3).round() as u64).to_string(),
                    window_ms.max(1).to_string(),
                ],
            )
            .await;
        let learned = match answer.as_deref() {
            Ok([1, first_attempts, retries, replicas])
                if *first_attempts >= 0 && *retries >= 0 && *replicas >= 0 =>
            {
                Some(Others {
                    first_attempts: *first_attempts as u64,
                    retries: *retries as f64 / 1e3,
                    replicas: *replicas as u64,
                    own_retries: own.retries,
                })
            }
            other => {
                let reason = match other {
                    Err(reason) => reason.clone(),
                    Ok(_) => "a replica's value is not one this store writes".to_owned(),
                };
                if self.lock().is_some() {
                    self.store.note_fallback();
                    tracing::warn!(
                        target: "resilience",
                        name = self.budget.name(),
                        store = self.store.shown(),
                        reason = %reason,
                        "shared retry budget unavailable: this replica's own budget only"
                    );
                }
                None
            }
        };
        if learned.is_some() && self.lock().is_none() {
            tracing::info!(
                target: "resilience",
                name = self.budget.name(),
                store = self.store.shown(),
                "shared retry budget: counting with the fleet"
            );
        }
        *self.lock() = learned;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Others>> {
        self.others.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The handle the budget keeps.
pub(crate) struct AttachedBudget(pub(crate) Arc<FleetBudget>);

impl SharedBudget for AttachedBudget {
    fn allows(&self, cost: f64) -> bool {
        let this = &self.0;
        let Some(others) = *this.lock() else {
            return true;
        };
        allows(this.budget, others, cost)
    }
}

/// The budget's rule over the fleet's window: its retries within one floor and `ratio`
/// of its first attempts. What the others spend since they last published is not known
/// here, so the headroom left at that time is split evenly: this replica may spend its
/// `1 / replicas` of it until the next publication, and so may each of the others.
fn allows(budget: &RetryBudget, others: Others, cost: f64) -> bool {
    let own = budget.stats();
    let first_attempts = (others.first_attempts + own.first_attempts) as f64;
    let floor = budget.floor() * budget.window().as_secs_f64();
    let headroom = floor + budget.ratio() * first_attempts - others.retries - others.own_retries;
    let since = own.retries - others.own_retries;
    // A hair of slack for the f64 sums of thousandths.
    since + cost <= headroom / (others.replicas + 1) as f64 + 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fleet_has_one_floor_and_its_deposits() {
        let budget: &'static RetryBudget = Box::leak(Box::new(
            RetryBudget::builder()
                .floor(1.0)
                .window(Duration::from_secs(2))
                .ratio(0.5)
                .build()
                .unwrap(),
        ));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let others = |first_attempts, retries, replicas| Others {
                first_attempts,
                retries,
                replicas,
                own_retries: 0.0,
            };
            // Alone: the floor, 1 a second over 2 s.
            assert!(allows(budget, others(0, 0.0, 0), 2.0));
            assert!(!allows(budget, others(0, 0.0, 0), 2.5));
            // The others spent the floor.
            assert!(!allows(budget, others(0, 2.0, 1), 0.1));
            // 2 + 0.5 * 10 - 2 = 5 left, split between two replicas.
            assert!(allows(budget, others(10, 2.0, 1), 2.5));
            assert!(!allows(budget, others(10, 2.0, 1), 2.6));
        });
    }
}
