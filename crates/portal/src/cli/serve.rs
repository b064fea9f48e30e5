//! `serve`: the portal listener (pages, RDP gate, forward-auth) and the admin API listener,
//! configured by a config file (`--config`) with flags and environment on top.
//!
//! Plain HTTP is allowed on loopback only; any other address needs a certificate and key
//! (or, for the portal listener behind a TLS-terminating proxy, an explicit
//! `--behind-tls-proxy`). The admin API never runs in plain HTTP off loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;
use rand::RngCore;
use twofold_portal::clock::SystemClock;
use twofold_portal::config::{self, Config, TlsFiles};
use twofold_portal::directory::ConfiguredDirectory;
use twofold_portal::state::{AppState, PortalSettings};
use twofold_portal::{admin_app, app, password_check, server, tls, vendor};
use twofold_store::Store;
use zeroize::Zeroizing;

#[derive(Args)]
/// Flags and environment variables given here override what the config file (the global
/// `--config`) says.
pub struct ServeArgs {
    /// Address of the portal (pages, RDP gate, forward-auth). Default 127.0.0.1:8080.
    #[arg(long, env = "TWOFOLD_LISTEN")]
    listen: Option<SocketAddr>,
    /// Address of the admin API. Default 127.0.0.1:8081.
    #[arg(long, env = "TWOFOLD_ADMIN_LISTEN")]
    admin_listen: Option<SocketAddr>,
    /// PEM certificate chain for TLS (both listeners).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve the portal in plain HTTP on a non-loopback address because a reverse proxy in
    /// front of it terminates TLS. Cookies are still marked Secure.
    #[arg(long)]
    behind_tls_proxy: bool,
    /// Issuer name shown in authenticator apps. Default "Twofold".
    #[arg(long, env = "TWOFOLD_ISSUER")]
    issuer: Option<String>,
}

/// Reads and checks a config file; the error lists every problem with its line.
pub fn read_config(path: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    config::parse(&text, base).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
            .collect();
        anyhow::anyhow!(
            "{} error{} in the config file:\n{}",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )
    })
}

pub const TOKEN_FILE: &str = "admin.token";
/// The token the RDP front ends (the PAM hook) present to the gate.
pub const GATEWAY_TOKEN_FILE: &str = "gateway.token";

/// Reads a bearer token from `dir/file`, creating it (0600, exclusively) at first start.
fn private_token(dir: &Path, file: &str) -> anyhow::Result<Zeroizing<String>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(file);
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
        Ok(mut file) => {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let token = Zeroizing::new(data_encoding::BASE64URL_NOPAD.encode(&bytes));
            file.write_all(token.as_bytes())
                .and_then(|_| file.sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(token)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let token = Zeroizing::new(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?,
            );
            let trimmed = Zeroizing::new(token.trim().to_string());
            anyhow::ensure!(
                trimmed.len() >= 16,
                "{} is too short to be a token; delete it to generate a new one",
                path.display()
            );
            Ok(trimmed)
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

pub fn run(
    store: Arc<dyn Store>,
    dir: &Path,
    args: ServeArgs,
    config: Config,
) -> anyhow::Result<()> {
    let listen = args.listen.or(config.portal_listen).unwrap_or(([127, 0, 0, 1], 8080).into());
    let admin_listen =
        args.admin_listen.or(config.admin_listen).unwrap_or(([127, 0, 0, 1], 8081).into());
    let tls_files = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert: cert.clone(), key: key.clone() }),
        _ => config.tls.clone(),
    };
    let behind_tls_proxy = args.behind_tls_proxy || config.behind_tls_proxy;
    let tls_config = match &tls_files {
        Some(files) => Some(tls::load_config(&files.cert, &files.key)?),
        None => None,
    };
    if tls_config.is_none() && !listen.ip().is_loopback() && !behind_tls_proxy {
        bail!(
            "{listen} is not a loopback address: give --tls-cert and --tls-key (or --behind-tls-proxy)"
        );
    }
    if tls_config.is_none() && !admin_listen.ip().is_loopback() {
        bail!("the admin API on {admin_listen} needs TLS: give --tls-cert and --tls-key");
    }
    let token = private_token(dir, TOKEN_FILE)?;
    let gateway_token = if config.gateway_enabled {
        Some(Arc::new(match &config.gateway_token_file {
            Some(file) => private_token(
                file.parent().unwrap_or(Path::new(".")),
                &file.file_name().context("gateway.token_file names no file")?.to_string_lossy(),
            )?,
            None => private_token(dir, GATEWAY_TOKEN_FILE)?,
        }))
    } else {
        None
    };
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let csrf_key = store.server_key("csrf", &fresh)?;
    let settings = PortalSettings {
        issuer: args
            .issuer
            .clone()
            .or(config.issuer.clone())
            .unwrap_or_else(|| twofold_core::PORTAL_ISSUER_DEFAULT.to_string()),
        secure_cookies: tls_config.is_some() || behind_tls_proxy,
        trusted_proxies: config.trusted_proxies.clone(),
        forward_auth: config.forward_auth.clone(),
        desktops: config.desktops.clone(),
        directory: ConfiguredDirectory::open(&config.directory)?,
        ..PortalSettings::default()
    };
    let token_path = dir.join(TOKEN_FILE);
    let state = AppState {
        store,
        clock: Arc::new(SystemClock),
        csrf_key: Arc::new(csrf_key),
        vendor_key: vendor::vendor_public_key(),
        verifier: Default::default(),
        settings: Arc::new(settings),
        admin_token: Arc::new(token),
        hash_slots: password_check::hash_slots(password_check::default_hash_slots()),
        gateway_token,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if vendor::is_development_key(&state.vendor_key) {
        tracing::warn!("{}", vendor::DEVELOPMENT_KEY_WARNING);
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let scheme = if tls_config.is_some() { "https" } else { "http" };
        let portal = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?;
        let admin = tokio::net::TcpListener::bind(admin_listen)
            .await
            .with_context(|| format!("binding {admin_listen}"))?;
        println!("portal:    {scheme}://{}/", portal.local_addr()?);
        println!(
            "admin API: {scheme}://{}/api/v1/ (token in {})",
            admin.local_addr()?,
            token_path.display()
        );
        let purge_state = state.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(300)).await;
                if let Err(e) = purge_state.store.purge_sessions(purge_state.now_i64()) {
                    tracing::warn!(error = %e, "purging expired sessions failed");
                }
            }
        });
        let limits = server::Limits::default();
        let shutdown = || async {
            let _ = tokio::signal::ctrl_c().await;
        };
        tokio::join!(
            server::serve(portal, tls_config.clone(), app(state.clone()), limits, shutdown()),
            server::serve(admin, tls_config, admin_app(state.clone()), limits, shutdown()),
        );
        anyhow::Ok(())
    })
}
