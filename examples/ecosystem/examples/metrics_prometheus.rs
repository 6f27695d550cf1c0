//! Resilience metrics in Prometheus text on `/metrics`.
//!
//! `cargo run -p resilience-ecosystem --example metrics_prometheus`: installs
//! `metrics-exporter-prometheus`'s recorder, runs a scripted set of calls (retries, a
//! breaker opening, a timeout), serves `/metrics` on 127.0.0.1, scrapes it once,
//! prints the `resilience_*` lines and exits.

use http_body_util::BodyExt;
use metrics_exporter_prometheus::PrometheusBuilder;
use resilience_ecosystem::metrics_app as app;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder)?;

    app::script().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app::router(handle)).await });

    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get("/metrics")
        .header(hyper::header::HOST, addr.to_string())
        .body(http_body_util::Empty::<hyper::body::Bytes>::new())?;
    let body = sender
        .send_request(request)
        .await?
        .into_body()
        .collect()
        .await?
        .to_bytes();
    for line in String::from_utf8_lossy(&body).lines() {
        if line.starts_with("resilience_") {
            println!("{line}");
        }
    }
    Ok(())
}
