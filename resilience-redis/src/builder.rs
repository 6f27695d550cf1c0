//! [`RedisStoreBuilder`]: a store's settings, checked when it is built.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{StoreError, redact, scrub};
use crate::store::{Counters, Inner, RedisStore, Worker};
use crate::{budget, script};

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
