//! The real server on a loopback socket against clients that hold connections: a request
//! whose headers never finish, a body sent too slowly, one address opening more connections
//! than its share. Also that HTTP/2 is spoken, not just advertised.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::Portal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use twofold_portal::server::{self, Limits};

const LIMITS: Limits = Limits {
    handshake: Duration::from_secs(2),
    header_read: Duration::from_secs(1),
    request: Duration::from_secs(2),
    per_address: 3,
    h2_streams: 8,
};

/// Generous: the limits above are 1–2 s; anything under this counts as "closed by the server".
const CLOSED_WITHIN: Duration = Duration::from_secs(8);

async fn start(p: &Portal) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = p.app();
    tokio::spawn(server::serve(listener, None, app, LIMITS, std::future::pending()));
    addr
}

/// Everything the server sends until it closes the connection (or `None` if it never does).
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(CLOSED_WITHIN, stream.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_closed_and_never_served() {
    let p = Portal::with_demo_directory();
    let addr = start(&p).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\nX-Slow: ").await.unwrap();
    let answer = read_until_closed(&mut stream).await.expect("the connection was held open");
    assert!(!answer.contains("200 OK"), "a half-sent request was served: {answer}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let p = Portal::with_demo_directory();
    let addr = start(&p).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut stream).await.expect("the idle connection was kept");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[tokio::test]
async fn a_body_sent_too_slowly_gets_408() {
    let p = Portal::with_demo_directory();
    let addr = start(&p).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = "POST /login HTTP/1.1\r\nHost: portal\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nusername=";
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await.expect("the slow body was waited for");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let p = Portal::with_demo_directory();
    let addr = start(&p).await;
    let mut held = Vec::new();
    for _ in 0..LIMITS.per_address {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // A complete request each, so the server has surely counted the connection.
        s.write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\n\r\n").await.unwrap();
        let mut first = [0u8; 12];
        s.read_exact(&mut first).await.unwrap();
        held.push(s);
    }
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra.write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\n\r\n").await;
    let answer = read_until_closed(&mut extra).await.expect("the extra connection stayed open");
    assert!(answer.is_empty(), "the extra connection was served: {answer}");

    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(addr).await.unwrap();
    again
        .write_all(b"GET /login HTTP/1.1\r\nHost: portal\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut again).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

#[tokio::test]
async fn http2_is_spoken_not_just_advertised() {
    use http_body_util::{BodyExt, Empty};
    let p = Portal::with_demo_directory();
    let addr = start(&p).await;
    let io = hyper_util::rt::TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(connection);
    let request = hyper::Request::get(format!("http://{addr}/login"))
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains(r#"autocomplete="current-password""#));
}
