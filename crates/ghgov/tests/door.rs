//! The front door under a careless or hostile client: nothing is read from a webhook
//! sender without a well-formed signature header, bodies are bounded in size, time and
//! concurrent readers, slow headers are cut off, and shutdown has a deadline.

mod common;
use common::*;
use ghgov::mirror::receiver::WebhookLimits;
use ghgov::server::{HttpLimits, ServeOptions};
use ghgov::store::Scope;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A signature header of the right form (its value does not matter before the body is
/// read).
fn any_signature() -> String {
    format!("sha256={}", "ab".repeat(32))
}

fn webhook_head(signature: Option<&str>, length: usize) -> String {
    let mut head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d-{}\r\nContent-Length: {length}\r\n",
        uuid::Uuid::new_v4().simple()
    );
    if let Some(s) = signature {
        head.push_str(&format!("X-Hub-Signature-256: {s}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// What the server says within `wait` after `sent`, and whether it closed the connection.
async fn answer_to(stream: &mut TcpStream, sent: &[u8], wait: Duration) -> (String, bool) {
    // The server may answer and close before it has read everything: that is the point.
    let _ = stream.write_all(sent).await;
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(wait, stream.read_to_end(&mut answer))
        .await
        .is_ok();
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

fn with_limits(
    webhook: WebhookLimits,
    http: HttpLimits,
) -> impl FnOnce(ServeOptions) -> ServeOptions {
    move |options| ServeOptions {
        webhook,
        http,
        ..options
    }
}

/// An empty world on a SQLite database of its own, ghgov serving within these limits.
async fn start(webhook: WebhookLimits, http: HttpLimits) -> Tester {
    TestWorld::empty()
        .serving_with(with_limits(webhook, http))
        .start_on_sqlite()
        .await
}

fn quick_limits() -> (WebhookLimits, HttpLimits) {
    (
        WebhookLimits {
            max_readers: 1,
            reader_wait: Duration::from_millis(200),
            body_timeout: Duration::from_secs(1),
            max_body: 64 * 1024,
        },
        HttpLimits {
            header_read_timeout: Duration::from_secs(1),
            body_read_timeout: Duration::from_secs(1),
            max_api_body: 64 * 1024,
            shutdown_timeout: Duration::from_secs(1),
        },
    )
}

async fn unsigned_requests_are_refused_before_their_body_is_read() {
    let t = TestWorld::empty().serving().start_on_sqlite().await;
    let gg = t.ghgov();
    for signature in [
        None,
        Some("sha256=zz"),
        Some("sha1=abcdef"),
        Some("sha256=abab"),
    ] {
        // The body is announced but never sent: an answer can only come before reading it.
        let mut stream = TcpStream::connect(gg.addr).await.unwrap();
        let (answer, _) = answer_to(
            &mut stream,
            webhook_head(signature, 1000).as_bytes(),
            Duration::from_secs(20),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "{signature:?} is refused at once: {answer:?}"
        );
    }
    assert_eq!(gg.store.count_deliveries(None).await.unwrap(), 0);
    t.finish().await;
}

async fn bodies_are_bounded_in_size_time_and_readers() {
    let (webhook, http) = quick_limits();
    let t = start(webhook, http).await;
    let gg = t.ghgov();

    // A body that stops arriving is answered 408 once the deadline passes.
    let mut slow = TcpStream::connect(gg.addr).await.unwrap();
    let (answer, _) = answer_to(
        &mut slow,
        format!("{}{{\"zen\":", webhook_head(Some(&any_signature()), 100)).as_bytes(),
        Duration::from_secs(20),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");

    // One reader at a time (the limit here): while a slow sender holds the turn, another
    // signed-looking request waits briefly, then gets 503.
    let patient = t
        .start_ghgov(with_limits(
            WebhookLimits {
                body_timeout: Duration::from_secs(60),
                ..webhook
            },
            http,
        ))
        .await;
    let mut holder = TcpStream::connect(patient.addr).await.unwrap();
    holder
        .write_all(format!("{}{{", webhook_head(Some(&any_signature()), 100)).as_bytes())
        .await
        .unwrap();
    let body = br#"{"zen":"hi"}"#;
    let mut busy = 0;
    for k in 0..100 {
        // Until the holder's request is being read, others may still get through.
        let r = deliver(&patient.url(), "ping", &format!("busy-{k}"), body, SECRET).await;
        if r.status() == 503 {
            busy += 1;
            break;
        }
        assert_eq!(r.status(), 202);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        busy, 1,
        "a second reader is turned away while the first holds the turn"
    );
    // When the turn is free again, deliveries go through.
    drop(holder);
    let mut accepted = 0;
    for k in 0..100 {
        let r = deliver(&patient.url(), "ping", &format!("ok-{k}"), body, SECRET).await;
        if r.status() == 202 {
            accepted += 1;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(accepted, 1, "the reader's turn is given back");
    patient.shutdown().await;

    // Over the configured size, declared or streamed: 413.
    let big = vec![b' '; 64 * 1024 + 1];
    let r = deliver(&gg.url(), "ping", "big-1", &big, SECRET).await;
    assert_eq!(r.status(), 413);
    let mut chunked = TcpStream::connect(gg.addr).await.unwrap();
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: big-2\r\nX-Hub-Signature-256: {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        any_signature(),
        big.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(&big);
    request.extend_from_slice(b"\r\n0\r\n\r\n");
    let (answer, _) = answer_to(&mut chunked, &request, Duration::from_secs(20)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "streamed: {answer:?}");

    // The API's bodies too: size and time, after the token is checked.
    let (_, token) = gg.store.create_token("w", Scope::Write).await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/sync/trigger", gg.url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let mut slow_api = TcpStream::connect(gg.addr).await.unwrap();
    let (answer, _) = answer_to(
        &mut slow_api,
        format!("PUT /api/v1/governance/config/acme/widgets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n{{").as_bytes(),
        Duration::from_secs(20),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    t.finish().await;
}

async fn slow_headers_are_cut_off() {
    let (webhook, http) = quick_limits();
    let t = start(webhook, http).await;
    let gg = t.ghgov();
    let mut stream = TcpStream::connect(gg.addr).await.unwrap();
    let started = Instant::now();
    let (_, closed) = answer_to(
        &mut stream,
        b"GET /version HTTP/1.1\r\nHost: x\r\nX-Slow:",
        Duration::from_secs(20),
    )
    .await;
    assert!(
        closed,
        "the connection is closed when headers do not arrive in time"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    t.finish().await;
}

async fn shutdown_does_not_wait_for_a_stalled_client() {
    let (webhook, mut http) = quick_limits();
    // Long body deadline: only the shutdown deadline can end this request.
    http.body_read_timeout = Duration::from_secs(600);
    let webhook = WebhookLimits {
        body_timeout: Duration::from_secs(600),
        ..webhook
    };
    let mut t = start(webhook, http).await;
    let gg = t.take_ghgov();
    let mut stalled = TcpStream::connect(gg.addr).await.unwrap();
    stalled
        .write_all(format!("{}{{\"zen\":", webhook_head(Some(&any_signature()), 1000)).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(20), gg.shutdown()).await;
    assert!(
        stopped.is_ok(),
        "shutdown waited on a client holding a half-sent body"
    );
    t.finish().await;
}

suite!(
    both: [],
    plain: [
        unsigned_requests_are_refused_before_their_body_is_read,
        bodies_are_bounded_in_size_time_and_readers,
        slow_headers_are_cut_off,
        shutdown_does_not_wait_for_a_stalled_client,
    ]
);
