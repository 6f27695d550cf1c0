//! `openai_chat --status ADDR`: the example serves resilience's status page while it runs,
//! and after its questions until stopped. Runs the binary offline (its own loopback
//! fault server), reads the page's JSON once the questions are done, and stops it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Stops the example however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_example_serves_the_status_page_while_it_runs() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_openai_chat"))
        .args([
            "--status",
            "127.0.0.1:0",
            "What is an AI agent?",
            "What is ML?",
        ])
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);

    // Its output, line by line, from a thread: the page's address, then the line that
    // says the questions are done.
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut url = None;
    loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .expect("the example answers within 30 s");
        if let Some(at) = line.strip_prefix("status:  ") {
            url = Some(at.to_owned());
        }
        if line.starts_with("status page still served") {
            break;
        }
    }
    let url = url.expect("it prints the page's address first");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/status"),
        "{url}"
    );

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().starts_with("<!doctype html>"));

    let json: serde_json::Value = http
        .get(format!("{url}/json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let breaker = json["protections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openai_chat")
        .expect("the client's breaker is listed");
    assert_eq!(breaker["kind"], "circuit");
    // The first two stories of the offline script: a slow success; then a 429 asking for
    // 300 ms and a dropped connection, each retried, and a success.
    assert_eq!(breaker["status"]["state"], "closed");
    assert_eq!(breaker["status"]["successes"], 2);
    assert_eq!(json["control"], false, "read-only");
    let control = http
        .post(format!("{url}/isolate/openai_chat"))
        .header("x-resilience-control", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(control.status(), 404, "no control routes");
    // The run's events reached the page's ring through the example's own subscriber.
    let retries: Vec<(&str, &str)> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["message"] == "retry scheduled")
        .map(|e| {
            (
                e["fields"]["attempt"].as_str().unwrap(),
                e["fields"]["server_delay"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(retries, [("1", "true"), ("2", "false")]);
}
