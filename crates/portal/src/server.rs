//! The HTTP server under both routers: plain TCP or TLS, HTTP/1.1 and HTTP/2 (what ALPN
//! offers is what is served), with limits that keep slow or greedy clients from holding the
//! portal.
//!
//! - a TLS handshake must finish within `handshake`;
//! - HTTP/1 request headers must arrive within `header_read` — hyper starts that timer
//!   whenever the connection waits for a request, so it is also the keep-alive idle timeout;
//! - a whole request (body included, e.g. a form sent a byte a second) must be answered
//!   within `request`, else 408;
//! - HTTP/2 peers are pinged and dropped when they stop answering; streams per connection
//!   are capped;
//! - one address holds at most `per_address` connections; more are closed at accept.
//!
//! Leaves out rate limits per request (the store's throttles do that) and TLS configuration
//! (`tls`).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::tls::ClientAddr;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub handshake: Duration,
    pub header_read: Duration,
    pub request: Duration,
    pub per_address: usize,
    pub h2_streams: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake: Duration::from_secs(10),
            header_read: Duration::from_secs(10),
            request: Duration::from_secs(30),
            // A browser opens six per host; an office behind one NAT address has many
            // browsers. Enough for both, and far below the file-descriptor limit.
            per_address: 256,
            h2_streams: 64,
        }
    }
}

/// Open connections per client address.
#[derive(Clone, Default)]
struct Connections(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One counted connection; uncounted when dropped.
struct Counted {
    table: Connections,
    ip: IpAddr,
}

impl Connections {
    fn admit(&self, ip: IpAddr, cap: usize) -> Option<Counted> {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let open = table.entry(ip).or_insert(0);
        if *open >= cap {
            return None;
        }
        *open += 1;
        Some(Counted { table: self.clone(), ip })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut table = self.table.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = table.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                table.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` (over TLS when `tls` is given) until `shutdown` resolves,
/// then lets open requests finish for up to ten seconds.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let connections = Connections::default();
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(10))
        .max_concurrent_streams(limits.h2_streams);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, mostly: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(counted) = connections.admit(peer.ip(), limits.per_address) else {
            tracing::warn!(%peer, "too many connections from one address; closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = request_service(router.clone(), peer, limits.request);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _counted = counted;
            match acceptor {
                Some(acceptor) => {
                    match tokio::time::timeout(limits.handshake, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_io(&builder, watcher, tls, service).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
                None => serve_io(&builder, watcher, stream, service).await,
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("open connections did not finish within 10 s of shutdown");
    }
}

type RequestService = hyper_util::service::TowerToHyperService<
    tower::util::BoxCloneService<
        Request<Incoming>,
        axum::response::Response,
        std::convert::Infallible,
    >,
>;

/// The router as a per-connection service: the client's address in every request, and a
/// deadline on every request.
fn request_service(router: Router, peer: SocketAddr, deadline: Duration) -> RequestService {
    let service = tower::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(ClientAddr(peer)));
        let router = router.clone();
        async move {
            match tokio::time::timeout(deadline, router.oneshot(request.map(axum::body::Body::new)))
                .await
            {
                Ok(response) => response,
                Err(_) => Ok((StatusCode::REQUEST_TIMEOUT, "request timed out").into_response()),
            }
        }
    });
    hyper_util::service::TowerToHyperService::new(tower::util::BoxCloneService::new(service))
}

async fn serve_io<I>(
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
    io: I,
    service: RequestService,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
