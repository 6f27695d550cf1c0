//! The store: a Redis client on a worker thread of its own, its settings, and its
//! counters.

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use resilience_core::rate_limit::RateLimiter;
use resilience_core::rate_limit::shared::{LimitStore, SharedLimit};

use resilience_core::retry::RetryBudget;
use resilience_core::retry::budget::shared::{BudgetStore, SharedBudget};

use crate::budget::{AttachedBudget, FleetBudget};
use crate::error::{StoreError, scrub};
use crate::limit::{Attached, FleetLimit};
use crate::script::{self, Answer, Ask};

/// Rate limits shared by every process that points at one Redis: install it once at
/// start-up ([`install`](crate::install)) and every registered limiter
/// (`#[rate_limit(name = ..)]`) counts against the fleet's quota.
///
/// Built from a `redis://` or `rediss://` URL (`redis://user:password@host:port/db`, the
/// user and password of a Redis ACL). The password is used to connect and nowhere else:
/// `Debug` shows the URL with `***` in its place, and errors and events never hold it.
///
/// ```
/// use std::time::Duration;
/// use resilience_redis::RedisStore;
///
/// let store = RedisStore::builder("redis://svc:s3cret@127.0.0.1:6379/0")
///     .prefix("checkout:")
///     .replicas(4)
///     .build()?;
/// assert_eq!(store.deadline(), Duration::from_millis(50));
/// assert!(!format!("{store:?}").contains("s3cret"));
/// # Ok::<(), resilience_redis::StoreError>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) client: redis::Client,
    /// The URL, password redacted: all that is ever shown of it.
    pub(crate) shown: String,
    /// To scrub the client's messages of it.
    pub(crate) password: Option<String>,
    pub(crate) prefix: String,
    pub(crate) deadline: Duration,
    pub(crate) replicas: u64,
    pub(crate) lease: f64,
    pub(crate) probe: Duration,
    pub(crate) script: redis::Script,
    pub(crate) budget_script: redis::Script,
    pub(crate) breaker_read: redis::Script,
    pub(crate) breaker_publish: redis::Script,
    pub(crate) connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    pub(crate) counters: Counters,
    pub(crate) worker: Worker,
}

impl RedisStore {
    /// The prefix of every key this store writes.
    ///
    /// ```
    /// # use resilience_redis::RedisStore;
    /// let store = RedisStore::builder("redis://127.0.0.1").prefix("a:").build()?;
    /// assert_eq!(store.prefix(), "a:");
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The longest one operation may take before the store counts as unreachable.
    ///
    /// ```
    /// # use resilience_redis::RedisStore;
    /// let store = RedisStore::builder("redis://127.0.0.1").build()?;
    /// assert_eq!(store.deadline().as_millis(), 50);
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    /// How many replicas share the limits: each holds `1 / replicas` of a limit while
    /// the store is unreachable.
    ///
    /// ```
    /// # use resilience_redis::RedisStore;
    /// assert_eq!(RedisStore::builder("redis://127.0.0.1").replicas(3).build()?.replicas(), 3);
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn replicas(&self) -> u64 {
        self.inner.replicas
    }

    /// The share of a limit's burst one lease takes (0: none, one round trip per call).
    ///
    /// ```
    /// # use resilience_redis::RedisStore;
    /// assert_eq!(RedisStore::builder("redis://127.0.0.1").build()?.lease(), 0.05);
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn lease(&self) -> f64 {
        self.inner.lease
    }

    /// The counters since the store was built.
    ///
    /// ```
    /// # use resilience_redis::{RedisStore, Stats};
    /// let store = RedisStore::builder("redis://127.0.0.1").build()?;
    /// assert_eq!(store.stats(), Stats::default());
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.inner.counters.read()
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.shown)
            .field("prefix", &self.inner.prefix)
            .field("deadline", &self.inner.deadline)
            .field("replicas", &self.inner.replicas)
            .field("lease", &self.inner.lease)
            .field("stats", &self.stats())
            .finish()
    }
}

impl fmt::Display for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.shown)
    }
}

impl BudgetStore for RedisStore {
    fn attach(&self, budget: &'static RetryBudget) -> Option<Arc<dyn SharedBudget>> {
        Some(Arc::new(AttachedBudget(FleetBudget::start(
            self.inner.clone(),
            budget,
        ))))
    }
}

impl LimitStore for RedisStore {
    fn attach(&self, limiter: &'static RateLimiter) -> Option<Arc<dyn SharedLimit>> {
        let name = limiter.name().to_owned();
        Some(Arc::new(Attached(Arc::new(FleetLimit::new(
            self.inner.clone(),
            limiter,
            name,
            Some(limiter),
        )))))
    }

    fn attach_key(&self, limiter: &RateLimiter, key: &str) -> Option<Arc<dyn SharedLimit>> {
        let name = format!("{}/{key}", limiter.name());
        Some(Arc::new(Attached(Arc::new(FleetLimit::new(
            self.inner.clone(),
            limiter,
            name,
            None,
        )))))
    }
}

impl Inner {
    /// The URL as shown (password redacted).
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs `fut` on the store's worker thread.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        if let Some(runtime) = &self.worker.0 {
            runtime.spawn(fut);
        }
    }

    /// One lease from Redis within the deadline (connecting first if need be).
    /// `members` is the set of replicas leasing `keys`, `id` this replica's; the answer
    /// comes with how many replicas leased lately.
    pub(crate) async fn lease_from(
        &self,
        members: &str,
        id: &str,
        keys: &[String],
        per: Duration,
        asks: &[Ask],
    ) -> Result<(Answer, u64), String> {
        self.counters.round_trips.fetch_add(1, Relaxed);
        let attempt = async {
            let mut connection = self.connection().await?;
            let mut invocation = self.script.prepare_invoke();
            invocation.key(members);
            for key in keys {
                invocation.key(key);
            }
            // A replica counts for two periods after its last lease, and at least 10 s.
            let counts_for = (per * 2).max(Duration::from_secs(10));
            invocation
                .arg(u64::try_from(per.as_micros()).unwrap_or(u64::MAX).max(1))
                .arg(id)
                .arg(u64::try_from(counts_for.as_millis()).unwrap_or(u64::MAX));
            for ask in asks {
                invocation
                    .arg(ask.amount)
                    .arg(ask.burst)
                    .arg(ask.want)
                    .arg(ask.need);
            }
            let reply: redis::RedisResult<Vec<i64>> =
                invocation.invoke_async(&mut connection).await;
            match reply {
                Ok(reply) => Ok((script::answer(&reply, keys.len()), script::replicas(&reply))),
                // A value of another shape than the script returns (a script of the
                // same SHA replaced?) is garbled, not a failure to reach Redis.
                Err(e) if e.kind() == redis::ErrorKind::UnexpectedReturnType => {
                    Ok((Answer::Garbled, 0))
                }
                Err(e) => Err(e),
            }
        };
        match tokio::time::timeout(self.deadline, attempt).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.forget_connection().await;
                Err(scrub(&e.to_string(), self.password.as_deref()))
            }
            Err(_) => {
                self.forget_connection().await;
                Err(format!(
                    "no answer within the deadline of {:?}",
                    self.deadline
                ))
            }
        }
    }

    /// One publication of a budget's window (see [`budget::LUA`]), within the deadline.
    pub(crate) async fn budget_round_trip(
        &self,
        members: &str,
        args: &[String],
    ) -> Result<Vec<i64>, String> {
        self.counters.round_trips.fetch_add(1, Relaxed);
        self.script_round_trip(&self.budget_script, &[members.to_owned()], args)
            .await
    }

    /// One run of `script` answering integers, within the deadline (connecting first
    /// if need be). Not counted in [`Stats::round_trips`] (the breakers' are not the
    /// admissions').
    pub(crate) async fn script_round_trip(
        &self,
        script: &redis::Script,
        keys: &[String],
        args: &[String],
    ) -> Result<Vec<i64>, String> {
        let attempt = async {
            let mut connection = self.connection().await?;
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(key);
            }
            for arg in args {
                invocation.arg(arg);
            }
            invocation.invoke_async::<Vec<i64>>(&mut connection).await
        };
        match tokio::time::timeout(self.deadline, attempt).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                self.forget_connection().await;
                Err(scrub(&e.to_string(), self.password.as_deref()))
            }
            Err(_) => {
                self.forget_connection().await;
                Err(format!(
                    "no answer within the deadline of {:?}",
                    self.deadline
                ))
            }
        }
    }

    /// Counts a shared state going over to local rules.
    pub(crate) fn note_fallback(&self) {
        self.counters.fallbacks.fetch_add(1, Relaxed);
    }

    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = &*slot {
            return Ok(connection.clone());
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.deadline))
            .set_response_timeout(Some(self.deadline));
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// A connection that failed or timed out is dropped: the next operation connects
    /// afresh (to a restarted Redis, say).
    async fn forget_connection(&self) {
        *self.connection.lock().await = None;
    }
}

/// The store's own runtime: Redis's I/O never runs on the callers' threads, and works
/// the same whatever runtime (or none) the callers use.
pub(crate) struct Worker(Option<tokio::runtime::Runtime>);

impl Worker {
    pub(crate) fn start() -> Result<Self, StoreError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("resilience-redis")
            .enable_all()
            .build()
            .map(|runtime| Worker(Some(runtime)))
            .map_err(|e| StoreError::Worker(e.to_string()))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The last handle may be dropped on the worker itself: never block there.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A [`RedisStore`]'s counters.
///
/// ```
/// let stats = resilience_redis::Stats::default();
/// assert_eq!(stats.round_trips, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Operations sent to Redis (leases asked for, including failed ones).
    pub round_trips: u64,
    /// Calls admitted from a lease of the fleet's quota.
    pub leased: u64,
    /// Calls admitted by the local share while Redis was unreachable.
    pub local: u64,
    /// Times a limiter went over to its local share.
    pub fallbacks: u64,
    /// Times a limiter came back to the fleet's quota.
    pub rejoins: u64,
    /// Open periods this replica's breakers started and published to the fleet.
    pub published: u64,
    /// Times a closed breaker of this replica opened on another replica's period.
    pub advised: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) round_trips: AtomicU64,
    pub(crate) leased: AtomicU64,
    pub(crate) local: AtomicU64,
    pub(crate) fallbacks: AtomicU64,
    pub(crate) rejoins: AtomicU64,
    pub(crate) published: AtomicU64,
    pub(crate) advised: AtomicU64,
}

impl Counters {
    fn read(&self) -> Stats {
        Stats {
            round_trips: self.round_trips.load(Relaxed),
            leased: self.leased.load(Relaxed),
            local: self.local.load(Relaxed),
            fallbacks: self.fallbacks.load(Relaxed),
            rejoins: self.rejoins.load(Relaxed),
            published: self.published.load(Relaxed),
            advised: self.advised.load(Relaxed),
        }
    }
}
