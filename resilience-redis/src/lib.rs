//! Rate limits, retry budgets and breakers' open periods shared by a fleet of processes
//! through Redis, for the `resilience` crate.
//!
//! Each replica of a service that paces itself to a provider's quota spends the whole
//! quota: ten replicas, ten quotas, and the provider answers `429`. Install a
//! [`RedisStore`] once at start-up and every registered limiter (every
//! `#[rate_limit(name = "..", ..)]`, unchanged) counts against one quota for the fleet:
//!
//! ```no_run
//! use resilience_redis::RedisStore;
//!
//! # fn main() -> Result<(), resilience_redis::StoreError> {
//! // Or `resilience_redis::install_from_env()` with RESILIENCE_REDIS_URL set.
//! resilience_redis::install(
//!     RedisStore::builder("rediss://checkout:s3cret@redis.internal:6380/0")
//!         .prefix("checkout:")
//!         .replicas(6)
//!         .build()?,
//! )?;
//! # Ok(()) }
//! ```
//!
//! # How it counts
//!
//! The limit is GCRA, as in one process (`resilience::rate_limit`), run by a Lua script
//! atomically in Redis on Redis's own clock (`TIME`), so replicas whose clocks disagree
//! still share one count. Keys are `{prefix}rl:{name}:requests` and `..:tokens`; each
//! expires when its bucket would be full again, so idle limits leave nothing behind.
//!
//! Which limiters: every *registered* one, that is every `#[rate_limit]` (named by
//! `name = ".."`, or by the function's module path and name, the same in every replica
//! of one binary) and every limiter given to [`RateLimiter::register`]; and each key's
//! limiter of a keyed one (`#[rate_limit(key = model, ..)]`), as `{name}/{key}`, made
//! after the store was installed. A limiter built by hand and not registered stays
//! local, and so does a keyed family's overflow limiter.
//!
//! [`RateLimiter::register`]: resilience_core::rate_limit::RateLimiter::register
//!
//! **Leases.** A replica does not ask Redis for every call: it takes a *lease*, a slice
//! of each limit ([`lease`](RedisStoreBuilder::lease), 5% of the burst by default), and
//! admits calls from it with no round trip. Leased units are counted in Redis when they
//! are leased, so the fleet admits at most its limit plus one lease per replica (the
//! units a replica holds when the window turns); units unspent after one period are
//! dropped. `lease(0.0)` asks for exactly each call's units: one round trip per call.
//!
//! The replica's own limiter still applies on top (the whole limit, in one process),
//! and token estimates are reconciled against the lease: a refund goes back into it, a
//! charge is taken from it or from the next lease.
//!
//! # Guarantees, state by state
//!
//! | Redis is | calls | the fleet admits |
//! |---|---|---|
//! | up | admitted from a lease; a call that finds none waits for one round trip (at most the [`deadline`](RedisStoreBuilder::deadline)) | at most the limit plus one lease per replica |
//! | slow (no answer within the deadline) | the waiting call goes on under the replica's local share when the deadline passes: never longer | at most the limit (leases taken) plus each replica's share |
//! | down (refused, reset) | at once under the local share, `1 / replicas` of each limit | at most one limit over the fleet (when every replica was seen or counted) |
//! | back | the next probe (every [`probe`](RedisStoreBuilder::probe), on a call) takes a lease; back on the fleet's quota | as when up |
//! | restarted empty, or its key deleted | the buckets start full again | one burst more than the limit, once |
//! | holding a value the script did not write (a foreign key, a corrupted value) | local share, as when down; an event names the key | as when down |
//!
//! And for breakers (see [Breakers](#breakers)):
//!
//! | Redis is | a breaker that opens on its own outcomes | a closed breaker of the same name elsewhere |
//! |---|---|---|
//! | up | publishes its open period (one round trip, off the calls' path) | refuses new calls within one [`probe`](RedisStoreBuilder::probe) interval, for at most what is left of that period; then probes on its own outcomes |
//! | slow, down, back | decides alone (its period is not published) | decides alone; a `warn` event when the store goes, `info` when it is back |
//! | restarted empty, or its key deleted | its period is no longer advised (published again at its next open) | decides alone; one advised already keeps its period |
//! | holding a value no replica wrote under `{prefix}cb:{name}` | not published (the value is left alone); a `warn` event names the key | ignored, with a `warn` event naming the key |
//!
//! **The share.** A replica's local share is `1 / replicas` of each limit, where
//! `replicas` is the larger of the configured count
//! ([`replicas`](RedisStoreBuilder::replicas)) and the number of replicas Redis saw lease
//! the limit lately (each lease adds the replica to `{prefix}rl:{name}:replicas` for two
//! periods, at least 10 s). So a fleet that grew past its configuration still holds the
//! limit when Redis goes; one that a replica joined *during* an outage may not (that
//! replica has never been seen).
//!
//! No call fails because of the store: the worst it does is make a call wait up to the
//! deadline, then admit it under the local share. Going over to the local share emits a
//! `warn` event and coming back an `info` event, both with target `resilience`, the
//! limiter's name and the store's URL with its password replaced by `***`.
//!
//! # Retry budgets
//!
//! Registered budgets (`#[retry(budget = "name")]`) are shared too. Each replica
//! publishes its own window (first attempts and retries) every tenth of the window
//! (between 100 ms and 1 s), with an expiry of one window, and learns the others' in the
//! same round trip. A retry is then allowed when the fleet's retries stay within `ratio`
//! of the fleet's first attempts plus **one** floor for the whole fleet (each replica
//! alone would have its own: `replicas` floors). What the others spend between two
//! publications cannot be seen, so each replica may spend only its `1 / replicas` of the
//! headroom left at the last one; its own budget applies as well. Withdrawals never wait
//! for Redis; when it is unreachable or holds a value it did not write, each replica's
//! own budget is the rule (with a `warn` event) until a publication succeeds again.
//!
//! # Breakers
//!
//! Every *registered* breaker (every `#[circuit]`, and every breaker given to
//! [`CircuitBreaker::register`]) shares its open periods, as advice. A breaker that opens
//! on its own outcomes publishes the period under `{prefix}cb:{name}`: the value
//! `cb1:{deadline}` in ms on Redis's clock, expiring with it (a longer period published
//! already stays). Every [`probe`](RedisStoreBuilder::probe) interval each replica reads
//! all its breakers' keys in one round trip and opens its own breaker of that name, if
//! it is *closed*, for what is left ([`CircuitBreaker::open_for`]): new calls are
//! refused with the usual `CircuitOpen` and a `retry_in` within the publisher's period,
//! rather than each replica finding out one failed call at a time.
//!
//! Each replica still decides from its own outcomes: when the advised period ends its
//! breaker probes as after any open period, a failing probe opens it on its own (and
//! that period is published), and an advised period is never published again, so no
//! replica extends another's by echoing it. A breaker that is open, half-open or
//! isolated is left alone. None of this runs on a call's path: the store watches the
//! breakers' transitions ([`CircuitBreaker::subscribe`]) on its own thread.
//!
//! A key's breaker (`#[circuit(key = model)]`) is shared key by key, under
//! `{prefix}cb:{family}/{key}`, without being kept: a family may evict an idle key, so
//! the store holds none. At each probe interval it visits the keyed breakers alive then,
//! publishes the periods their own outcomes started since the last visit, and advises
//! the closed ones in the same round trip as the others. So another replica's key is
//! refused within two intervals of the open (one to publish, one to read) rather than
//! one, and a replica that has not used a key yet is advised at the first interval
//! after its first call of it.
//!
//! [`CircuitBreaker::register`]: resilience_core::circuit::CircuitBreaker::register
//! [`CircuitBreaker::open_for`]: resilience_core::circuit::CircuitBreaker::open_for
//! [`CircuitBreaker::subscribe`]: resilience_core::circuit::CircuitBreaker::subscribe
//!
//! # Security
//!
//! `redis://` and `rediss://` URLs (TLS with the `tls` feature, see [TLS](#tls)), with
//! the user and password of a Redis ACL. The password is handed to the client and never shown:
//! `Debug` and `Display` of the store, its errors and its events carry the URL with
//! `***` in its place, and messages from the client are scrubbed of it. Values read back
//! are checked: a key of another type or a value that is not a time the script could
//! have written sends the limiter to its local share with an event; nothing read from
//! Redis can panic or admit a call the limit would not.
//!
//! Keys: `{prefix}rl:{name}:requests`, `{prefix}rl:{name}:tokens` (limits;
//! `{name}/{key}` for a keyed limiter's key),
//! `{prefix}rb:{name}:replicas` and `{prefix}rb:{name}:replica:{id}` (budgets),
//! `{prefix}cb:{name}` (breakers). The
//! budget script builds the replicas' keys itself, so it needs a single Redis (not a
//! cluster).
//!
//! # TLS
//!
//! With the `tls` feature (the facade's `redis-tls`), a `rediss://` URL connects over
//! TLS through rustls (ring as the crypto provider, installed as the process default
//! when there is none). The server's certificate is checked against the web PKI's roots
//! and must name the URL's host. A Redis with a certificate of a private CA, or a
//! self-signed one, is trusted through
//! [`root_certificate`](RedisStoreBuilder::root_certificate) (PEM); then those
//! certificates alone are trusted. With `redis-server --tls-port 6380 --port 0
//! --tls-cert-file redis.pem --tls-key-file redis.key --tls-auth-clients no` and an ACL
//! user `app`:
//!
//! ```no_run
//! # #[cfg(feature = "tls")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use resilience_redis::RedisStore;
//!
//! let store = RedisStore::builder("rediss://app:s3cret@redis.internal:6380/0")
//!     .root_certificate(std::fs::read("/etc/redis/ca.pem")?)
//!     .build()?;
//! resilience_redis::install(store)?;
//! # Ok(()) }
//! # #[cfg(not(feature = "tls"))]
//! # fn main() {}
//! ```
//!
//! Not supported: client certificates (`--tls-auth-clients yes`), and skipping the
//! check (redis-rs's `#insecure` needs a feature this crate does not turn on).
//! `tests/tls.rs` runs a TLS-only `redis-server` with an ACL user against a CA made
//! at test time.
//!
//! # Where it runs
//!
//! The store's I/O runs on a worker thread of its own (a one-thread tokio runtime), so it
//! works the same from any runtime or from blocking code, and admissions never do I/O.

mod breaker;
mod budget;
mod builder;
mod error;
mod keyed;
mod limit;
mod script;
mod store;

pub use builder::RedisStoreBuilder;
pub use error::StoreError;
pub use store::{RedisStore, Stats};

/// Makes `store` the process's shared rate-limit and retry-budget store: every
/// registered limiter counts against the fleet's quota from its next call on, and every
/// registered budget against the fleet's retries; and starts sharing the registered
/// breakers' open periods (see [Breakers](crate#breakers)). Call it once, at start-up.
///
/// # Errors
///
/// [`StoreError::AlreadyInstalled`] when a store is installed already (it stays).
///
/// ```
/// use resilience_redis::{install, RedisStore, StoreError};
///
/// install(RedisStore::builder("redis://127.0.0.1:1").build()?)?;
/// let again = install(RedisStore::builder("redis://127.0.0.1:1").build()?);
/// assert_eq!(again.unwrap_err(), StoreError::AlreadyInstalled);
/// # Ok::<(), StoreError>(())
/// ```
pub fn install(store: RedisStore) -> Result<RedisStore, StoreError> {
    resilience_core::rate_limit::shared::install(Box::new(store.clone()))
        .map_err(|_| StoreError::AlreadyInstalled)?;
    // Installed together: a budget store can only be there already if someone else
    // installed one by hand, and then theirs stays.
    let _ = resilience_core::retry::budget::shared::install(Box::new(store.clone()));
    breaker::start(store.inner.clone());
    Ok(store)
}

/// [`install`] a store built from `RESILIENCE_REDIS_URL` with the default settings,
/// and `RESILIENCE_REDIS_PREFIX` / `RESILIENCE_REDIS_REPLICAS` when they are set.
///
/// # Errors
///
/// [`StoreError::NoUrl`] when the variable is not set; otherwise as
/// [`RedisStoreBuilder::build`] and [`install`].
///
/// ```
/// // SAFETY (edition 2024): no other thread reads the environment in this doctest.
/// unsafe { std::env::remove_var("RESILIENCE_REDIS_URL") };
/// assert_eq!(resilience_redis::install_from_env().unwrap_err(), resilience_redis::StoreError::NoUrl);
/// ```
pub fn install_from_env() -> Result<RedisStore, StoreError> {
    let url = std::env::var("RESILIENCE_REDIS_URL").map_err(|_| StoreError::NoUrl)?;
    let mut builder = RedisStore::builder(url);
    if let Ok(prefix) = std::env::var("RESILIENCE_REDIS_PREFIX") {
        builder = builder.prefix(prefix);
    }
    if let Ok(replicas) = std::env::var("RESILIENCE_REDIS_REPLICAS") {
        let replicas = replicas.parse().map_err(|_| StoreError::Setting {
            setting: "RESILIENCE_REDIS_REPLICAS",
            reason: "a whole number of replicas",
        })?;
        builder = builder.replicas(replicas);
    }
    install(builder.build()?)
}
