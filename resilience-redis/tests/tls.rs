//! `rediss://` against a real `redis-server` that speaks TLS only and has an ACL user
//! with a password: a CA and the server's certificate (for `127.0.0.1`) are made at test
//! time with rcgen, the replica trusts the CA through
//! [`RedisStoreBuilder::root_certificate`](resilience_redis::RedisStoreBuilder::root_certificate).
//! Replicas are OS processes (see `support/fleet.rs`), so each installs its own store.
//! Needs `redis-server` built with TLS on PATH (Debian's is). About 2 s of real time.
#![cfg(feature = "tls")]

#[allow(dead_code)]
#[path = "support/fleet.rs"]
mod fleet;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fleet::Replica;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use resilience_redis::RedisStore;

const PASSWORD: &str = "s3cret-tls-pw";

/// Not a test of its own: the replicas' entry point (see `support/fleet.rs`).
#[test]
fn child() {
    if std::env::var_os("RESILIENCE_REDIS_CHILD").is_some() {
        fleet::child();
    }
}

/// A `redis-server` with TLS only (no plain port), the user `default` off and the user
/// `app` on with [`PASSWORD`]; its certificates in a directory of its own. Killed, and
/// the directory removed, on drop.
struct TlsRedis {
    port: u16,
    dir: PathBuf,
    /// The CA's certificate, PEM, in `dir`: what a client trusts.
    ca_file: PathBuf,
    child: Child,
}

impl TlsRedis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!(
            "resilience-redis-tls-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // A CA of the test's own, and the server's certificate for 127.0.0.1 signed by it.
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let server_cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        let write = |name: &str, pem: String| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap();
            path
        };
        let ca_file = write("ca.pem", ca_cert.pem());
        let cert_file = write("server.pem", server_cert.pem());
        let key_file = write("server.key", server_key.serialize_pem());
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--tls-cert-file")
            .arg(&cert_file)
            .arg("--tls-key-file")
            .arg(&key_file)
            .args(["--tls-auth-clients", "no"])
            .args(["--user", "default", "off"])
            .args([
                "--user",
                "app",
                "on",
                &format!(">{PASSWORD}"),
                "~*",
                "&*",
                "+@all",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "redis-server on PATH (Debian package `redis-server`; scripts/test installs it)",
            );
        let server = TlsRedis {
            port,
            dir,
            ca_file,
            child,
        };
        // It listens once it has loaded its certificates and users.
        let deadline = Instant::now() + Duration::from_secs(3);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server with TLS did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    fn url(&self, password: &str) -> String {
        format!("rediss://app:{password}@127.0.0.1:{}", self.port)
    }

    /// One replica calling a limiter of 40 a second (leases of 2) for 1 s.
    fn replica(&self, password: &str) -> Replica {
        Replica {
            url: self.url(password),
            requests: 40,
            lease: 0.05,
            replicas: 1,
            // A TLS handshake and AUTH on a busy 2-core machine.
            deadline_ms: 300,
            probe_ms: 200,
            every_ms: 0,
            run_ms: 1_000,
            budget: false,
            key: String::new(),
        }
    }

    /// Runs one replica, trusting the test's CA or (`trust: false`) only the web PKI.
    fn run(&self, password: &str, trust: bool) -> fleet::Report {
        let env = if trust {
            vec![("CHILD_ROOT_CERT", self.ca_file.display().to_string())]
        } else {
            Vec::new()
        };
        let (children, _) = fleet::spawn_with_env(&self.replica(password), 1, &env);
        fleet::collect(children).remove(0)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_shared_limiter_admits_through_tls_with_an_acl_user() {
    let server = TlsRedis::start();
    let report = server.run(PASSWORD, true);
    let [round_trips, leased, local, fallbacks, _rejoins] = report.stats[..] else {
        panic!("{report:?}");
    };
    assert!(leased > 0, "nothing leased over TLS: {report:?}");
    assert_eq!((local, fallbacks), (0, 0), "{report:?}");
    // Every admission came from a lease of at most 2 (5% of 40), each one round trip.
    assert!(
        round_trips > 0 && leased <= 2 * round_trips,
        "{leased} leased in {round_trips} round trips: {report:?}"
    );
    assert!(report.total() > 0 && report.total() <= leased, "{report:?}");
    // The burst (40) and 1 s at 40 a second, plus the one lease held back.
    assert!(report.total() <= 40 + 40 + 2, "{report:?}");
    assert!(!report.output.contains(PASSWORD), "{}", report.output);
}

#[test]
fn a_wrong_password_falls_back_to_the_local_share_and_is_never_shown() {
    let server = TlsRedis::start();
    let wrong = "wrong-tls-pw-91";
    let report = server.run(wrong, true);
    let [_, leased, local, fallbacks, _] = report.stats[..] else {
        panic!("{report:?}");
    };
    assert_eq!(leased, 0, "{report:?}");
    assert!(fallbacks >= 1 && local > 0, "{report:?}");
    assert!(report.total() > 0 && report.total() <= local, "{report:?}");
    // The fallback's event names the store, password redacted.
    let shown = format!("rediss://app:***@127.0.0.1:{}", server.port);
    assert!(report.output.contains(&shown), "{}", report.output);
    assert!(!report.output.contains(wrong), "{}", report.output);
    // Refused at AUTH, after the handshake: the TLS part held.
    assert!(
        report.output.contains("authentication failed"),
        "{}",
        report.output
    );
    // Nor do the store's own Debug and Display.
    let store = RedisStore::builder(server.url(wrong))
        .root_certificate(std::fs::read(&server.ca_file).unwrap())
        .build()
        .unwrap();
    assert_eq!(store.to_string(), shown);
    assert!(!format!("{store:?}").contains(wrong));
}

#[test]
fn a_server_certificate_nobody_vouches_for_is_refused() {
    let server = TlsRedis::start();
    // Without the CA only the web PKI's roots are trusted: the handshake fails, and the
    // limiter goes on under its local share.
    let report = server.run(PASSWORD, false);
    let [_, leased, local, fallbacks, _] = report.stats[..] else {
        panic!("{report:?}");
    };
    assert_eq!(leased, 0, "{report:?}");
    assert!(fallbacks >= 1 && local > 0, "{report:?}");
    assert!(report.output.contains("UnknownIssuer"), "{}", report.output);
    assert!(!report.output.contains(PASSWORD), "{}", report.output);
}
