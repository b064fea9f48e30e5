//! TLS configuration (rustls) from PEM files, offering by ALPN exactly what `server` speaks:
//! HTTP/2 and HTTP/1.1.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

pub fn load_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let cert_pem =
        std::fs::read(cert).with_context(|| format!("reading certificate {}", cert.display()))?;
    let key_pem =
        std::fs::read(key).with_context(|| format!("reading private key {}", key.display()))?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing certificate {}", cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate found in {}", cert.display());
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .with_context(|| format!("parsing private key {}", key.display()))?
        .with_context(|| format!("no private key found in {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and private key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The client's address as handlers see it, for plain and TLS connections alike.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub SocketAddr);
