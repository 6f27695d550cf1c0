//! `resilience_core::http`: classification and `Retry-After` parsing over every header
//! form, including garbage, negative, huge and past values (run with `--features http`;
//! the reqwest part with `--features reqwest`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::prelude::*;
use resilience_core::http::{
    Class, classify, classify_io, classify_status, retry_after, retry_after_min, should_retry,
};

/// 2015-10-21 07:28:00 UTC, the date in RFC 9110's examples.
const DATE_SECS: u64 = 1_445_412_480;
const DATE_IMF: &str = "Wed, 21 Oct 2015 07:28:00 GMT";
const DATE_RFC850: &str = "Wednesday, 21-Oct-15 07:28:00 GMT";
const DATE_ASCTIME: &str = "Wed Oct 21 07:28:00 2015";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap()
}

/// Delay for `pairs` 100 s before [`DATE_SECS`].
fn delay(pairs: &[(&'static str, &str)]) -> Option<Duration> {
    retry_after(&headers(pairs), at(DATE_SECS - 100))
}

// ---------------------------------------------------------------------------------------
// classify

/// 408, 409, 425, 429 and every 5xx but 501 and 505, as the OpenAI and Anthropic SDKs
/// retry (DESIGN.md, "HTTP classification").
fn transient(code: u16) -> bool {
    matches!(code, 408 | 409 | 425 | 429)
        || ((500..600).contains(&code) && code != 501 && code != 505)
}

#[test]
fn every_status_code_has_the_documented_class() {
    for code in 100..=999u16 {
        let expected = if (200..300).contains(&code) {
            Class::Success
        } else if transient(code) {
            Class::Transient
        } else {
            Class::Permanent
        };
        assert_eq!(classify_status(status(code)), expected, "{code}");
        assert_eq!(
            classify(status(code), &HeaderMap::new()),
            expected,
            "{code}"
        );
    }
}

#[test]
fn other_client_errors_are_permanent() {
    for code in [400, 401, 403, 404, 405, 410, 413, 422, 451] {
        assert_eq!(classify_status(status(code)), Class::Permanent, "{code}");
    }
    for code in [501, 505] {
        assert_eq!(classify_status(status(code)), Class::Permanent, "{code}");
    }
}

#[test]
fn cloudflare_and_overload_statuses_in_front_of_llm_apis_are_transient() {
    // Cloudflare's origin failures (520 unknown, 521 down, 522 connect timeout, 523
    // unreachable, 524 timeout) and Anthropic's 529 overloaded.
    for code in [520, 521, 522, 523, 524, 529] {
        assert_eq!(classify_status(status(code)), Class::Transient, "{code}");
    }
}

#[test]
fn x_should_retry_overrides_failures_in_both_directions() {
    let yes = headers(&[("x-should-retry", "true")]);
    let no = headers(&[("x-should-retry", "false")]);
    for code in [400, 404, 409, 429, 500, 501, 503, 529, 301] {
        assert_eq!(classify(status(code), &yes), Class::Transient, "{code}");
        assert_eq!(classify(status(code), &no), Class::Permanent, "{code}");
    }
}

#[test]
fn x_should_retry_never_turns_a_success_into_a_failure() {
    for value in ["true", "false"] {
        for code in [200, 201, 204, 299] {
            let map = headers(&[("x-should-retry", value)]);
            assert_eq!(
                classify(status(code), &map),
                Class::Success,
                "{code} {value}"
            );
        }
    }
}

#[test]
fn x_should_retry_forms() {
    for (value, expected) in [
        ("true", Some(true)),
        ("TRUE", Some(true)),
        (" True ", Some(true)),
        ("false", Some(false)),
        ("False", Some(false)),
        ("", None),
        ("1", None),
        ("0", None),
        ("yes", None),
        ("truee", None),
        ("true, false", None),
    ] {
        assert_eq!(
            should_retry(&headers(&[("x-should-retry", value)])),
            expected,
            "{value:?}"
        );
    }
    let mut map = HeaderMap::new();
    map.insert(
        "x-should-retry",
        HeaderValue::from_bytes(b"tr\xffue").unwrap(),
    );
    assert_eq!(should_retry(&map), None);
    assert_eq!(
        classify(status(503), &map),
        Class::Transient,
        "unreadable header is ignored"
    );
}

#[test]
fn repeated_x_should_retry_reads_the_first() {
    let map = headers(&[("x-should-retry", "false"), ("x-should-retry", "true")]);
    assert_eq!(should_retry(&map), Some(false));
    let map = headers(&[("x-should-retry", "junk"), ("x-should-retry", "true")]);
    assert_eq!(should_retry(&map), None);
}

#[test]
fn io_errors() {
    use std::io::{Error, ErrorKind::*};
    for kind in [
        ConnectionRefused,
        ConnectionReset,
        ConnectionAborted,
        NotConnected,
        BrokenPipe,
        UnexpectedEof,
        TimedOut,
        Interrupted,
    ] {
        assert_eq!(
            classify_io(&Error::from(kind)),
            Class::Transient,
            "{kind:?}"
        );
    }
    for kind in [
        NotFound,
        PermissionDenied,
        InvalidInput,
        InvalidData,
        AddrInUse,
        Unsupported,
        Other,
    ] {
        assert_eq!(
            classify_io(&Error::from(kind)),
            Class::Permanent,
            "{kind:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// retry_after: each form

#[test]
fn no_header_no_delay() {
    assert_eq!(delay(&[]), None);
    assert_eq!(delay(&[("x-should-retry", "true")]), None);
}

#[test]
fn retry_after_ms_forms() {
    assert_eq!(
        delay(&[("retry-after-ms", "1500")]),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(delay(&[("retry-after-ms", "0")]), Some(Duration::ZERO));
    assert_eq!(
        delay(&[("retry-after-ms", " 42 ")]),
        Some(Duration::from_millis(42))
    );
    assert_eq!(
        delay(&[("retry-after-ms", "1.5")]),
        Some(Duration::from_micros(1500))
    );
    assert_eq!(
        delay(&[("retry-after-ms", "0.000001")]),
        Some(Duration::from_nanos(1))
    );
    assert_eq!(
        delay(&[("retry-after-ms", "007")]),
        Some(Duration::from_millis(7))
    );
}

#[test]
fn retry_after_seconds_forms() {
    assert_eq!(
        delay(&[("retry-after", "120")]),
        Some(Duration::from_secs(120)),
        "never shortened"
    );
    assert_eq!(
        delay(&[("retry-after", "30")]),
        Some(Duration::from_secs(30))
    );
    assert_eq!(delay(&[("retry-after", "0")]), Some(Duration::ZERO));
    assert_eq!(
        delay(&[("retry-after", "1.25")]),
        Some(Duration::from_millis(1250))
    );
    assert_eq!(
        delay(&[("retry-after", "\t5 ")]),
        Some(Duration::from_secs(5))
    );
}

#[test]
fn retry_after_http_date_forms() {
    let now = at(DATE_SECS - 10);
    for date in [DATE_IMF, DATE_RFC850, DATE_ASCTIME] {
        let map = headers(&[("retry-after", date)]);
        assert_eq!(
            retry_after(&map, now),
            Some(Duration::from_secs(10)),
            "{date}"
        );
    }
    // Between whole seconds: measured exactly from `now`.
    let now = at(DATE_SECS - 10) + Duration::from_millis(250);
    let map = headers(&[("retry-after", DATE_IMF)]);
    assert_eq!(retry_after(&map, now), Some(Duration::from_millis(9750)));
}

#[test]
fn past_or_present_dates_mean_now() {
    let map = headers(&[("retry-after", DATE_IMF)]);
    assert_eq!(retry_after(&map, at(DATE_SECS)), Some(Duration::ZERO));
    assert_eq!(retry_after(&map, at(DATE_SECS + 1)), Some(Duration::ZERO));
    assert_eq!(
        retry_after(&map, at(DATE_SECS) + Duration::from_nanos(1)),
        Some(Duration::ZERO)
    );
    // A `now` far past anything an HTTP-date can say.
    let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
    assert_eq!(retry_after(&map, far), Some(Duration::ZERO));
    let epoch = headers(&[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]);
    assert_eq!(retry_after(&epoch, SystemTime::now()), Some(Duration::ZERO));
}

#[test]
fn far_future_dates_are_exact() {
    let map = headers(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]);
    assert_eq!(
        retry_after(&map, at(DATE_SECS)),
        Some(Duration::from_secs(253_402_300_799 - DATE_SECS))
    );
    assert_eq!(
        retry_after(&map, UNIX_EPOCH),
        Some(Duration::from_secs(253_402_300_799))
    );
}

#[test]
fn precedence_is_ms_then_seconds_then_date() {
    let all = [("retry-after-ms", "1500"), ("retry-after", "7")];
    assert_eq!(delay(&all), Some(Duration::from_millis(1500)));
    let date_too = [("retry-after-ms", "1500"), ("retry-after", DATE_IMF)];
    assert_eq!(delay(&date_too), Some(Duration::from_millis(1500)));
    assert_eq!(delay(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
}

#[test]
fn unreadable_headers_are_skipped_not_fatal() {
    for garbage in [
        "-1500", "abc", "", "1e3", "1,5", "NaN", "inf", "+5", "0x10", "1.", ".5", "5 s",
    ] {
        let pairs = [("retry-after-ms", garbage), ("retry-after", "7")];
        assert_eq!(
            delay(&pairs),
            Some(Duration::from_secs(7)),
            "ms {garbage:?}"
        );
        let pairs = [("retry-after-ms", garbage), ("retry-after", DATE_IMF)];
        assert_eq!(
            delay(&pairs),
            Some(Duration::from_secs(100)),
            "ms {garbage:?}"
        );
        assert_eq!(
            delay(&[("retry-after", garbage)]),
            None,
            "seconds {garbage:?}"
        );
    }
}

#[test]
fn negative_values_give_none() {
    for value in ["-1", "-0", "-1.5", "-99999999999999999999999", "- 3"] {
        assert_eq!(delay(&[("retry-after", value)]), None, "{value:?}");
        assert_eq!(delay(&[("retry-after-ms", value)]), None, "{value:?}");
    }
}

#[test]
fn huge_values_saturate_without_overflow() {
    for value in [
        "18446744073709551615",                // u64::MAX
        "18446744073709551616",                // u64::MAX + 1
        "99999999999999999999999999999999999", // far beyond
        "18446744073709551615.999999999999",
    ] {
        // The number saturates at u64::MAX seconds (or milliseconds) instead of
        // wrapping; a retry policy then gives up at once rather than wait.
        let secs = delay(&[("retry-after", value)]).unwrap();
        assert!(secs >= Duration::from_secs(u64::MAX), "{value}");
        let millis = delay(&[("retry-after-ms", value)]).unwrap();
        assert!(millis >= Duration::from_millis(u64::MAX), "{value}");
    }
    let long = "9".repeat(8 * 1024);
    assert!(delay(&[("retry-after", &long)]).unwrap() >= Duration::from_secs(u64::MAX));
    let long_fraction = format!("1.{}", "9".repeat(8 * 1024));
    assert_eq!(
        delay(&[("retry-after", &long_fraction)]),
        Some(Duration::new(1, 999_999_999))
    );
}

#[test]
fn a_floor_raises_short_delays_and_never_shortens_long_ones() {
    let floor = Duration::from_millis(500);
    let now = at(DATE_SECS);
    for (value, expected) in [
        ("0", floor),
        ("0.1", floor),
        ("30", Duration::from_secs(30)),
    ] {
        let map = headers(&[("retry-after", value)]);
        assert_eq!(retry_after_min(&map, now, floor), Some(expected), "{value}");
    }
    let past = headers(&[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]);
    assert_eq!(retry_after_min(&past, now, floor), Some(floor));
    assert_eq!(retry_after_min(&HeaderMap::new(), now, floor), None);
}

#[test]
fn malformed_dates_give_none() {
    for value in [
        "Wed, 32 Oct 2015 07:28:00 GMT",  // day 32
        "Wed, 21 Foo 2015 07:28:00 GMT",  // month
        "Wed, 21 Oct 2015 25:28:00 GMT",  // hour
        "Wed, 21 Oct 2015 07:28:00 UTC",  // zone
        "Thu, 21 Oct 2015 07:28:00 GMT",  // wrong weekday
        "Wed, 21 Oct 1969 07:28:00 GMT",  // before the epoch
        "Sat, 01 Jan 10000 00:00:00 GMT", // five-digit year
        "Wed, 21 Oct 2015",
        "2015-10-21T07:28:00Z", // ISO 8601 is not an HTTP-date
        "wed, 21 oct 2015 07:28:00 gmt",
        "Wed,  21 Oct 2015 07:28:00 GMT",
    ] {
        assert_eq!(delay(&[("retry-after", value)]), None, "{value:?}");
    }
}

#[test]
fn non_ascii_values_give_none() {
    for bytes in [
        &b"\xff"[..],
        b"1\x80",
        b"\xe2\x80\x8b5",
        b"Wed, 21 Oct 2015 07:28:00 GMT\xff",
    ] {
        let mut map = HeaderMap::new();
        map.insert("retry-after", HeaderValue::from_bytes(bytes).unwrap());
        map.insert("retry-after-ms", HeaderValue::from_bytes(bytes).unwrap());
        assert_eq!(retry_after(&map, at(DATE_SECS)), None, "{bytes:?}");
    }
}

#[test]
fn repeated_retry_after_reads_the_first() {
    assert_eq!(
        delay(&[("retry-after", "3"), ("retry-after", "9")]),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        delay(&[("retry-after", "junk"), ("retry-after", "9")]),
        None
    );
}

// ---------------------------------------------------------------------------------------
// retry_after: properties. proptest shrinks a failing header to the smallest value that
// still fails, so a regression reads as `"-"` rather than forty random bytes.

/// Any SystemTime an HTTP-date can name: 1970-01-01 to 9999-12-31.
fn http_time() -> impl Strategy<Value = SystemTime> {
    (0u64..253_402_300_800).prop_map(at)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic(
        ms in proptest::collection::vec(any::<u8>(), 0..64),
        secs in proptest::collection::vec(any::<u8>(), 0..64),
        now in any::<u64>(),
        floor in any::<u64>(),
    ) {
        let mut map = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&ms) {
            map.insert("retry-after-ms", value);
        }
        if let Ok(value) = HeaderValue::from_bytes(&secs) {
            map.insert("retry-after", value);
        }
        let now = UNIX_EPOCH + Duration::from_secs(now / 4);
        let floor = Duration::from_nanos(floor);
        let exact = retry_after(&map, now);
        prop_assert_eq!(retry_after_min(&map, now, floor), exact.map(|d| d.max(floor)));
    }

    #[test]
    fn any_text_never_panics(value in "\\PC{0,40}", code in 100u16..=999) {
        if let Ok(value) = HeaderValue::from_str(&value) {
            let mut map = HeaderMap::new();
            map.insert("retry-after", value.clone());
            map.insert("x-should-retry", value);
            let _ = retry_after(&map, at(DATE_SECS));
            let class = classify(status(code), &map);
            prop_assert_eq!(class.is_success(), (200..300).contains(&code));
        }
    }

    #[test]
    fn number_like_garbage_never_panics(value in "[-+ .0-9eE]{0,40}") {
        let map = headers(&[("retry-after", &value), ("retry-after-ms", &value)]);
        if retry_after(&map, at(DATE_SECS)).is_some() {
            prop_assert!(!value.contains(['-', '+', 'e', 'E']));
        }
    }

    #[test]
    fn whole_seconds_are_exact(n in any::<u64>()) {
        let map = headers(&[("retry-after", &n.to_string())]);
        prop_assert_eq!(retry_after(&map, at(DATE_SECS)), Some(Duration::from_secs(n)));
    }

    #[test]
    fn whole_millis_are_exact(n in any::<u64>()) {
        let map = headers(&[("retry-after-ms", &n.to_string())]);
        prop_assert_eq!(retry_after(&map, at(DATE_SECS)), Some(Duration::from_millis(n)));
    }

    #[test]
    fn digit_runs_of_any_length_are_read_or_saturate(digits in "[0-9]{1,200}", fraction in proptest::option::of("[0-9]{1,30}")) {
        let whole = digits.parse::<u64>().ok();
        let value = match fraction {
            Some(fraction) => format!("{digits}.{fraction}"),
            None => digits,
        };
        let map = headers(&[("retry-after", &value)]);
        let delay = retry_after(&map, at(DATE_SECS)).expect("digits are readable");
        // Never less than the whole seconds asked; at least u64::MAX seconds when they
        // do not fit.
        let asked = Duration::from_secs(whole.unwrap_or(u64::MAX));
        prop_assert!(delay >= asked && delay < asked.saturating_add(Duration::from_secs(1)));
    }

    #[test]
    fn negative_numbers_give_none(n in i64::MIN..0) {
        prop_assert_eq!(delay(&[("retry-after", &n.to_string())]), None);
        prop_assert_eq!(delay(&[("retry-after-ms", &n.to_string())]), None);
    }

    #[test]
    fn any_http_date_is_measured_from_now(date in http_time(), now in http_time()) {
        let map = headers(&[("retry-after", &httpdate::fmt_http_date(date))]);
        let expected = date.duration_since(now).unwrap_or(Duration::ZERO);
        prop_assert_eq!(retry_after(&map, now), Some(expected));
    }

    #[test]
    fn date_shaped_garbage_never_panics(
        wday in "[A-Za-z]{0,4}",
        day in 0u32..100,
        month in "[A-Za-z]{0,4}",
        year in 0u32..100_000,
        h in 0u32..100, m in 0u32..100, s in 0u32..100,
        zone in "(GMT|UTC|Z|)",
        now in any::<u64>(),
    ) {
        let value = format!("{wday}, {day:02} {month} {year:04} {h:02}:{m:02}:{s:02} {zone}");
        let map = headers(&[("retry-after", &value)]);
        if let Some(delay) = retry_after(&map, UNIX_EPOCH + Duration::from_secs(now / 4)) {
            // An HTTP-date names at most 9999-12-31: no delay beyond that from the epoch.
            prop_assert!(delay <= Duration::from_secs(253_402_300_800));
        }
    }
}

// ---------------------------------------------------------------------------------------
// reqwest: real errors from loopback peers that misbehave on purpose

#[cfg(feature = "reqwest")]
mod reqwest_errors {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread;
    use std::time::Duration;

    use resilience_core::http::Class;
    use resilience_core::http::reqwest::{classify_error, classify_response, retry_after};

    /// A peer on 127.0.0.1 that accepts exactly one connection and hands it to `peer`.
    fn one_connection(
        peer: impl FnOnce(TcpStream) + Send + 'static,
    ) -> (SocketAddr, thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            peer(stream);
        });
        (addr, handle)
    }

    /// Reads the request head, so that closing afterwards is not a reset of unread data.
    fn read_head(stream: &mut TcpStream) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
    }

    fn client() -> reqwest::Client {
        // `no_proxy`: the request goes to loopback, never through an environment proxy.
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn refused_connection_is_transient() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap(); // closed again
        let err = client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
        assert_eq!(classify_error(&err), Class::Transient);
    }

    #[tokio::test]
    async fn timeout_is_transient() {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let (addr, peer) = one_connection(move |mut stream| {
            read_head(&mut stream);
            // Answer nothing; hold the connection open until the test has its error.
            let _ = wait.recv_timeout(Duration::from_secs(5));
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        let err = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(classify_error(&err), Class::Transient);
        done.send(()).unwrap();
        peer.join().unwrap();
    }

    #[tokio::test]
    async fn connection_closed_before_the_response_is_transient() {
        let (addr, peer) = one_connection(|mut stream| read_head(&mut stream));
        let err = client()
            .post(format!("http://{addr}/"))
            .body("{}")
            .send()
            .await
            .unwrap_err();
        assert!(err.is_request(), "{err:?}");
        assert_eq!(classify_error(&err), Class::Transient);
        peer.join().unwrap();
    }

    #[tokio::test]
    async fn body_cut_off_in_transit_is_transient() {
        let (addr, peer) = one_connection(|mut stream| {
            read_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"choices\":")
                .unwrap();
        });
        let response = client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(classify_response(&response), Class::Success);
        let err = response.json::<serde_json::Value>().await.unwrap_err();
        assert!(err.is_decode(), "{err:?}");
        assert_eq!(classify_error(&err), Class::Transient);
        peer.join().unwrap();
    }

    #[tokio::test]
    async fn complete_but_malformed_json_is_permanent() {
        let (addr, peer) = one_connection(|mut stream| {
            read_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n{\"choices\":")
                .unwrap();
        });
        let response = client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap();
        let err = response.json::<serde_json::Value>().await.unwrap_err();
        assert!(err.is_decode(), "{err:?}");
        assert_eq!(classify_error(&err), Class::Permanent);
        peer.join().unwrap();
    }

    #[tokio::test]
    async fn status_responses_and_their_errors() {
        let (addr, peer) = one_connection(|mut stream| {
            read_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\nretry-after-ms: 1500\r\ncontent-length: 0\r\n\r\n")
                .unwrap();
        });
        let response = client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap();
        assert_eq!(classify_response(&response), Class::Transient);
        assert_eq!(retry_after(&response), Some(Duration::from_millis(1500)));
        let err = response.error_for_status().unwrap_err();
        assert_eq!(classify_error(&err), Class::Transient);
        peer.join().unwrap();

        for (code, class) in [
            (404, Class::Permanent),
            (503, Class::Transient),
            (529, Class::Transient),
        ] {
            let reply = http::Response::builder().status(code).body("").unwrap();
            let err = reqwest::Response::from(reply)
                .error_for_status()
                .unwrap_err();
            assert_eq!(classify_error(&err), class, "{code}");
        }
    }

    #[test]
    fn x_should_retry_on_a_response() {
        let reply = http::Response::builder()
            .status(500)
            .header("x-should-retry", "false")
            .body("")
            .unwrap();
        assert_eq!(
            classify_response(&reqwest::Response::from(reply)),
            Class::Permanent
        );
        let reply = http::Response::builder()
            .status(400)
            .header("x-should-retry", "true")
            .body("")
            .unwrap();
        assert_eq!(
            classify_response(&reqwest::Response::from(reply)),
            Class::Transient
        );
    }

    #[test]
    fn builder_errors_are_permanent() {
        let err = reqwest::Client::new().get("not a url").build().unwrap_err();
        assert!(err.is_builder());
        assert_eq!(classify_error(&err), Class::Permanent);
    }
}
