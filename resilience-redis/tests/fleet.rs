//! Several OS processes sharing one limit through a real `redis-server`, which the tests
//! start on a free loopback port, kill, pause and restart. Needs `redis-server` on PATH
//! (Debian package `redis-server`). Each scenario takes 2-4 s of real time.

mod support;

use support::fleet::{self, Replica};
use support::server::RedisServer;

/// Not a test of its own: the replicas' entry point (see `support::fleet`).
#[test]
fn child() {
    if std::env::var_os("RESILIENCE_REDIS_CHILD").is_some() {
        fleet::child();
    }
}

fn replica(server: &RedisServer) -> Replica {
    Replica {
        url: server.url(),
        requests: 40,
        lease: 0.05, // 2 requests a lease
        replicas: 3,
        deadline_ms: 50,
        probe_ms: 200,
        every_ms: 0,
        run_ms: 3_000,
        budget: false,
        key: String::new(),
    }
}

/// The fleet's admissions in `[from, to)` ms.
fn fleet_between(reports: &[fleet::Report], from: u64, to: u64) -> u64 {
    reports.iter().map(|r| r.between(from, to)).sum()
}

/// Every replica went on while Redis was `what` (from 1.2 s to 2 s), under its local
/// share of the limit: 40 / 3 = 13 a second, with room for the lease it held.
fn each_went_on_under_its_share(reports: &[fleet::Report], what: &str) {
    for report in reports {
        let out = report.between(1_200, 2_000);
        assert!(out > 0, "no call while Redis was {what}: {reports:?}");
        assert!(
            out <= 13 + 11,
            "more than its share while {what}: {reports:?}"
        );
    }
}

/// Every replica fell back to its local share and rejoined the fleet.
fn each_fell_back_and_rejoined(reports: &[fleet::Report]) {
    for report in reports {
        assert!(
            report.stats[3] >= 1 && report.stats[4] >= 1,
            "fell back and rejoined: {reports:?}"
        );
    }
}

#[test]
fn three_processes_share_one_limit() {
    let _one = support::serial();
    let server = RedisServer::start();
    let replica = replica(&server);
    let (children, _) = fleet::spawn(&replica, 3);
    let reports = fleet::collect(children);
    let total: u64 = reports.iter().map(fleet::Report::total).sum();
    // GCRA over 3 s: the burst (40) and 40 a second, plus one lease (2) per replica.
    // Alone, each would admit 160: 480 for the three.
    assert!(
        total <= 40 + 3 * 40 + 3 * 2,
        "fleet admitted {total}: {reports:?}"
    );
    assert!(total >= 140, "fleet admitted only {total}: {reports:?}");
    for report in &reports {
        assert!(report.total() > 10, "a replica was starved: {reports:?}");
        assert_eq!(
            report.stats[3], 0,
            "no fallback while Redis is up: {reports:?}"
        );
    }
    // Every second after the first burst stays within the limit.
    for second in 1..3 {
        let admitted = fleet_between(&reports, second * 1_000, (second + 1) * 1_000);
        assert!(admitted <= 40 + 3 * 2, "second {second}: {admitted}");
    }
}

#[test]
fn killed_and_restarted_empty_the_fleet_goes_on_locally_then_rejoins() {
    let _one = support::serial();
    let mut server = RedisServer::start();
    let replica = Replica {
        run_ms: 3_500,
        ..replica(&server)
    };
    let (children, start) = fleet::spawn(&replica, 3);
    fleet::at(start, 1_000);
    server.kill();
    fleet::at(start, 2_000);
    server.restart_empty();
    let reports = fleet::collect(children);
    each_went_on_under_its_share(&reports, "down");
    each_fell_back_and_rejoined(&reports);
    // Back on the fleet's quota: a fresh burst (Redis lost the buckets) and the rate.
    let after = fleet_between(&reports, 2_500, 3_500);
    assert!(
        after <= 40 + 40 + 3 * 2,
        "fleet admitted {after} after recovery: {reports:?}"
    );
    let last = fleet_between(&reports, 3_000, 3_500);
    assert!(
        last <= 20 + 3 * 2 + 3,
        "fleet admitted {last} in the last half second: {reports:?}"
    );
}

#[test]
fn paused_the_fleet_goes_on_locally_then_rejoins() {
    let _one = support::serial();
    let server = RedisServer::start();
    let (children, start) = fleet::spawn(&replica(&server), 3);
    fleet::at(start, 1_000);
    server.pause();
    fleet::at(start, 2_000);
    server.resume();
    let reports = fleet::collect(children);
    each_went_on_under_its_share(&reports, "paused");
    each_fell_back_and_rejoined(&reports);
    // Redis kept its buckets: the fleet is on the limit again at once.
    let after = fleet_between(&reports, 2_500, 3_000);
    assert!(
        after <= 40 + 20 + 3 * 2,
        "fleet admitted {after} after recovery: {reports:?}"
    );
}

#[test]
fn a_paused_store_never_holds_a_call_longer_than_its_deadline() {
    let _one = support::serial();
    let server = RedisServer::start();
    // Far below the limit, and no lease: every call asks Redis.
    let replica = Replica {
        requests: 10_000,
        lease: 0.0,
        replicas: 1,
        every_ms: 10,
        run_ms: 2_000,
        ..replica(&server)
    };
    let (children, start) = fleet::spawn(&replica, 1);
    fleet::at(start, 500);
    server.pause();
    fleet::at(start, 1_500);
    server.resume();
    let reports = fleet::collect(children);
    let report = &reports[0];
    // 50 ms deadline; the rest is scheduling on a busy 2-core machine.
    assert!(report.max_latency_ms <= 50 + 40, "{report:?}");
    assert!(
        report.between(600, 1_500) >= 40,
        "calls went on while paused: {report:?}"
    );
    assert!(
        report.stats[0] >= report.stats[1],
        "a round trip per leased call: {report:?}"
    );
}

#[test]
fn a_foreign_value_gives_the_local_share_and_an_event() {
    let _one = support::serial();
    let server = RedisServer::start();
    // Another service's list where the limiter's key would be.
    assert_eq!(
        server
            .command(&["LPUSH", "fleet-test:rl:fleet:requests", "x"])
            .as_deref(),
        Some(":1")
    );
    let replica = Replica {
        run_ms: 1_000,
        ..replica(&server)
    };
    let reports = fleet::collect(fleet::spawn(&replica, 1).0);
    let report = &reports[0];
    assert!(
        report.total() > 0 && report.total() <= 13 + 13 + 1,
        "{report:?}"
    );
    assert_eq!(report.stats[1], 0, "nothing leased: {report:?}");
    assert!(
        report.output.contains("fleet-test:rl:fleet:requests"),
        "{}",
        report.output
    );
    // A value that is not a time: the same.
    server.command(&["DEL", "fleet-test:rl:fleet:requests"]);
    server.command(&["SET", "fleet-test:rl:fleet:requests", "12abc"]);
    let reports = fleet::collect(fleet::spawn(&replica, 1).0);
    assert_eq!(reports[0].stats[1], 0, "nothing leased: {reports:?}");
    assert!(reports[0].stats[3] >= 1, "{reports:?}");
    // The foreign value is left alone.
    assert_eq!(
        server
            .command(&["GET", "fleet-test:rl:fleet:requests"])
            .as_deref(),
        Some("$5")
    );
}

#[test]
fn acl_passwords_never_appear_in_events_or_errors() {
    let _one = support::serial();
    let server = RedisServer::start();
    assert_eq!(
        server
            .command(&[
                "ACL",
                "SETUSER",
                "app",
                "on",
                ">s3cret-pw",
                "~fleet-test:*",
                "+@all"
            ])
            .as_deref(),
        Some("+OK")
    );
    let port = server.port;
    let good = Replica {
        url: format!("redis://app:s3cret-pw@127.0.0.1:{port}"),
        run_ms: 1_000,
        ..replica(&server)
    };
    let reports = fleet::collect(fleet::spawn(&good, 1).0);
    assert!(
        reports[0].stats[1] > 0,
        "leased with the ACL user: {reports:?}"
    );
    assert_eq!(reports[0].stats[3], 0, "{reports:?}");
    let bad = Replica {
        url: format!("redis://app:wrong-pw-77@127.0.0.1:{port}"),
        ..good
    };
    let reports = fleet::collect(fleet::spawn(&bad, 1).0);
    let report = &reports[0];
    assert!(report.stats[3] >= 1 && report.total() > 0, "{report:?}");
    assert!(report.output.contains("app:***@"), "{}", report.output);
    assert!(!report.output.contains("wrong-pw-77"), "{}", report.output);
}

#[test]
fn three_processes_share_one_retry_budget() {
    let _one = support::serial();
    let server = RedisServer::start();
    let replica = Replica {
        budget: true,
        every_ms: 10,
        run_ms: 2_000,
        ..replica(&server)
    };
    let retried = |replica: &Replica| {
        let reports = fleet::collect(fleet::spawn(replica, 3).0);
        let each: Vec<u64> = reports.iter().map(fleet::Report::total).collect();
        eprintln!("fleet retried {each:?}");
        (each.iter().sum::<u64>(), reports)
    };
    // Shared, the fleet has one floor: 10 in any second, so at most 30 over 2 s (each
    // replica spends its third of what was left at the last publication, every 100 ms).
    let (shared, reports) = retried(&replica);
    assert!(shared <= 30, "fleet retried {shared}: {reports:?}");
    assert!(shared >= 15, "fleet retried only {shared}: {reports:?}");
    assert_eq!(reports[0].stats[3], 0, "{reports:?}");
    // The same with Redis unreachable: each replica has its own floor, three floors.
    let alone = Replica {
        url: "redis://127.0.0.1:1".to_owned(),
        ..replica
    };
    let (local, reports) = retried(&alone);
    assert!(
        local >= 3 * 20,
        "each replica alone retried its own floor: {local} {reports:?}"
    );
    assert!(
        local > 2 * shared,
        "sharing divides the fleet's retries: {local} vs {shared}"
    );
}

#[test]
fn three_processes_share_each_key_of_a_keyed_limiter() {
    let _one = support::serial();
    let server = RedisServer::start();
    let replica = Replica {
        key: "gpt-4".to_owned(),
        run_ms: 2_000,
        ..replica(&server)
    };
    let (children, _) = fleet::spawn(&replica, 3);
    // Another model's quota is its own: one replica alone on it gets all of it.
    let other = Replica {
        key: "mini".to_owned(),
        ..replica.clone()
    };
    let (alone, _) = fleet::spawn(&other, 1);
    let reports = fleet::collect(children);
    let mini = fleet::collect(alone);
    assert_eq!(
        server
            .command(&["EXISTS", "fleet-test:rl:fleet/gpt-4:requests"])
            .as_deref(),
        Some(":1"),
        "the member's key is its family's name and its own"
    );
    let total: u64 = reports.iter().map(fleet::Report::total).sum();
    eprintln!("gpt-4: {total}, mini: {}", mini[0].total());
    // 40 a second per key: the burst and 2 s of rate, plus a lease per replica.
    assert!(
        total <= 40 + 2 * 40 + 3 * 2,
        "fleet admitted {total} on gpt-4: {reports:?}"
    );
    assert!(
        total >= 80,
        "fleet admitted only {total} on gpt-4: {reports:?}"
    );
    assert!(
        mini[0].total() >= 80,
        "mini has a quota of its own: {mini:?}"
    );
}

#[test]
fn the_local_share_follows_the_replicas_redis_has_seen() {
    let _one = support::serial();
    let server = RedisServer::start();
    // Each replica is told it is alone; Redis has seen three lease the limit.
    let replica = Replica {
        replicas: 1,
        ..replica(&server)
    };
    let (children, start) = fleet::spawn(&replica, 3);
    fleet::at(start, 1_000);
    server.pause();
    fleet::at(start, 2_000);
    server.resume();
    let reports = fleet::collect(children);
    // A third of 40 a second (a whole one alone would admit up to 40 + 32).
    each_went_on_under_its_share(&reports, "paused");
}
