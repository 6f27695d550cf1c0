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

use crate::budget::{self, AttachedBudget, FleetBudget};
use crate::error::{StoreError, redact, scrub};
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
    client: redis::Client,
    /// The URL, password redacted: all that is ever shown of it.
    shown: String,
    /// To scrub the client's messages of it.
    password: Option<String>,
    pub(crate) prefix: String,
    pub(crate) deadline: Duration,
    pub(crate) replicas: u64,
    pub(crate) lease: f64,
    pub(crate) probe: Duration,
    script: redis::Script,
    budget_script: redis::Script,
    pub(crate) breaker_read: redis::Script,
    pub(crate) breaker_publish: redis::Script,
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    pub(crate) counters: Counters,
    worker: Worker,
}

/// A [`RedisStore`]'s settings; every one has a default.
///
/// ```
/// use std::time::Duration;
/// use resilience_redis::RedisStore;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379")
///     .deadline(Duration::from_millis(20))
///     .lease(0.0) // one round trip per admission
///     .build()?;
/// assert_eq!(store.lease(), 0.0);
/// # Ok::<(), resilience_redis::StoreError>(())
/// ```
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    deadline: Duration,
    replicas: u64,
    lease: f64,
    probe: Duration,
    /// PEM certificates to trust instead of the web PKI's roots (feature `tls`).
    #[cfg(feature = "tls")]
    root_certificate: Option<Vec<u8>>,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = f.debug_struct("RedisStoreBuilder");
        shown
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("deadline", &self.deadline)
            .field("replicas", &self.replicas)
            .field("lease", &self.lease)
            .field("probe", &self.probe);
        #[cfg(feature = "tls")]
        shown.field("root_certificate", &self.root_certificate.is_some());
        shown.finish()
    }
}

impl RedisStore {
    /// Starts configuring a store for `url`. Defaults: prefix `resilience:`, deadline
    /// 50 ms per operation, 1 replica, leases of 5% of each limit's burst, a look at an
    /// unreachable Redis every 500 ms.
    ///
    /// ```
    /// # use resilience_redis::RedisStore;
    /// let store = RedisStore::builder("redis://127.0.0.1").build()?;
    /// assert_eq!(store.prefix(), "resilience:");
    /// # Ok::<(), resilience_redis::StoreError>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: "resilience:".to_owned(),
            deadline: Duration::from_millis(50),
            replicas: 1,
            lease: 0.05,
            probe: Duration::from_millis(500),
            #[cfg(feature = "tls")]
            root_certificate: None,
        }
    }

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

impl RedisStoreBuilder {
    /// The prefix of every key (default `resilience:`): services sharing one Redis
    /// each take their own.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The deadline of one operation (default 50 ms): past it the store counts as
    /// unreachable, and a call waiting on it goes on under local limits.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How many replicas share the limits (default 1).
    pub fn replicas(mut self, replicas: u64) -> Self {
        self.replicas = replicas;
        self
    }

    /// The share of each limit's burst one lease takes, in `[0, 1)` (default 0.05).
    /// The fleet admits at most its limit plus one lease per replica.
    pub fn lease(mut self, share: f64) -> Self {
        self.lease = share;
        self
    }

    /// How often a replica under local limits looks whether Redis is back (default
    /// 500 ms).
    pub fn probe(mut self, every: Duration) -> Self {
        self.probe = every;
        self
    }

    /// Trusts the certificates in `pem` (PEM, one or more) for a `rediss://` URL,
    /// instead of the web PKI's roots: the CA of a private Redis, or a self-signed
    /// server's own certificate. The server's certificate must name the URL's host
    /// (a DNS name, or an IP address for `rediss://127.0.0.1:..`). Feature `tls`.
    ///
    /// [`build`](Self::build) fails with [`StoreError::Setting`] (`root_certificate`)
    /// when `pem` holds no certificate or the URL is not `rediss://`.
    ///
    /// ```
    /// use resilience_redis::{RedisStore, StoreError};
    ///
    /// // A CA of one's own (here made on the spot; in production read from a file).
    /// let ca = rcgen::generate_simple_self_signed(["redis.internal".to_owned()]).unwrap();
    /// let store = RedisStore::builder("rediss://app:s3cret@redis.internal:6380")
    ///     .root_certificate(ca.cert.pem())
    ///     .build()?;
    /// assert!(!format!("{store:?}").contains("s3cret"));
    ///
    /// let err = RedisStore::builder("rediss://redis.internal:6380")
    ///     .root_certificate("not a certificate")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, StoreError::Setting { setting: "root_certificate", .. }));
    ///
    /// // Plain `redis://` has no certificate to check.
    /// let err = RedisStore::builder("redis://redis.internal:6379")
    ///     .root_certificate(ca.cert.pem())
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, StoreError::Setting { setting: "root_certificate", .. }));
    /// # Ok::<(), StoreError>(())
    /// ```
    #[cfg(feature = "tls")]
    pub fn root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificate = Some(pem.into());
        self
    }

    /// The client for the URL, with the root certificates when there are.
    fn client(&self, shown: &str) -> Result<redis::Client, StoreError> {
        let url_error = |e: redis::RedisError| StoreError::Url {
            url: shown.to_owned(),
            reason: scrub(&e.to_string(), password_of(&self.url).as_deref()),
        };
        #[cfg(feature = "tls")]
        if let Some(pem) = &self.root_certificate {
            use rustls::pki_types::{CertificateDer, pem::PemObject};
            let setting = |reason| StoreError::Setting {
                setting: "root_certificate",
                reason,
            };
            if !self.url.starts_with("rediss://") {
                return Err(setting("only for a `rediss://` URL"));
            }
            // redis-rs would take a PEM without certificates as an empty trust store, and
            // every connection would then fail: refuse it here, where it is plain.
            let certificates = CertificateDer::pem_slice_iter(pem).collect::<Result<Vec<_>, _>>();
            if !certificates.is_ok_and(|c| !c.is_empty()) {
                return Err(setting("PEM holding one or more certificates"));
            }
            let certificates = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            };
            return redis::Client::build_with_tls(self.url.as_str(), certificates)
                .map_err(url_error);
        }
        redis::Client::open(self.url.as_str()).map_err(url_error)
    }

    /// The store. It connects on its first operation, not here.
    ///
    /// # Errors
    ///
    /// [`StoreError::Url`] for a URL the client rejects, [`StoreError::Setting`] for a
    /// setting out of range (or a `root_certificate` that is
    /// not one), [`StoreError::Worker`] when its thread cannot start.
    ///
    /// ```
    /// use resilience_redis::{RedisStore, StoreError};
    ///
    /// let err = RedisStore::builder("redis://127.0.0.1").replicas(0).build().unwrap_err();
    /// assert!(matches!(err, StoreError::Setting { setting: "replicas", .. }));
    /// ```
    pub fn build(self) -> Result<RedisStore, StoreError> {
        let shown = redact(&self.url);
        #[cfg(feature = "tls")]
        if self.url.starts_with("rediss://") {
            // Another crate may have installed one already: that one stays.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = self.client(&shown)?;
        let setting = |setting, reason| Err(StoreError::Setting { setting, reason });
        if self.replicas == 0 {
            return setting("replicas", "at least 1");
        }
        if !(0.0..1.0).contains(&self.lease) {
            return setting("lease", "a share of the burst in [0, 1)");
        }
        if self.deadline.is_zero() {
            return setting("deadline", "more than zero");
        }
        if self.probe.is_zero() {
            return setting("probe", "more than zero");
        }
        let password = client
            .get_connection_info()
            .redis_settings()
            .password()
            .map(str::to_owned);
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shown,
                password,
                prefix: self.prefix,
                deadline: self.deadline,
                replicas: self.replicas,
                lease: self.lease,
                probe: self.probe,
                script: redis::Script::new(script::LUA),
                budget_script: redis::Script::new(budget::LUA),
                breaker_read: redis::Script::new(crate::breaker::READ),
                breaker_publish: redis::Script::new(crate::breaker::PUBLISH),
                connection: tokio::sync::Mutex::new(None),
                counters: Counters::default(),
                worker: Worker::start()?,
            }),
        })
    }
}

/// The raw password of a URL's user info, to scrub messages of.
fn password_of(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let user_info = &authority[..authority.rfind('@')?];
    Some(user_info[user_info.find(':')? + 1..].to_owned())
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
struct Worker(Option<tokio::runtime::Runtime>);

impl Worker {
    fn start() -> Result<Self, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_found_to_scrub_it() {
        assert_eq!(password_of("redis://u:p@ss@h/0").as_deref(), Some("p@ss"));
        assert_eq!(password_of("redis://u@h"), None);
        assert_eq!(password_of("redis://h"), None);
    }
}
