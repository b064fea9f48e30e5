//! The PostgreSQL store: the same repositories as [`crate::SqliteStore`] on a database that
//! any number of portal processes share, so any request can go to any server.
//!
//! Connection settings come from a `postgres://` URL, completed by the standard `PG*`
//! variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`,
//! `PGSSLROOTCERT`) and a password file; see [`PgOptions::parse`]. TLS is used with
//! `sslmode=require` (or `verify-full`/`verify-ca`), always verifying the server against the CA
//! file (`sslrootcert=` / `PGSSLROOTCERT`) or else the system's roots.
//!
//! Secrets are sealed exactly as in SQLite, with the key file in the server's data directory:
//! every server on one database needs the same `secrets.key`. The database keeps the key's
//! check value, so a server with a missing or different key refuses to start rather than
//! seal new secrets nobody else can open.
//!
//! What it leaves out: creating the database or its role (the operator's `createdb`), and
//! statement timeouts (a server that accepts connections but never answers holds a call until
//! TCP keepalive gives up).

mod pool;
mod repos;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Transaction};
use zeroize::Zeroizing;

use crate::crypto::SecretBox;
use crate::schema::{CURRENT, MIGRATIONS};
use crate::sqlite::{from_hex, to_hex, KEY_CHECK_SETTING, KEY_FILE};
use crate::StoreError;
use pool::{Pool, Tls};

/// Advisory lock keys (any constant bigint; these spell "twofold" and a purpose in ASCII).
const MIGRATION_LOCK: i64 = 0x7477_6f66_6f6c_6401;
const KEY_LOCK: i64 = 0x7477_6f66_6f6c_6402;

/// Connections per process. The portal runs store calls on blocking threads, so this caps
/// how many run at once; a few are enough for two cores and keep N servers well under
/// PostgreSQL's default `max_connections` of 100.
pub const POOL_SIZE: usize = 8;
/// How long a call waits for a connection before answering "unavailable" (503).
pub const POOL_WAIT: Duration = Duration::from_secs(5);
/// How long opening a connection may take when the URL does not say (`connect_timeout=`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to connect, parsed and checked before any connection is tried.
#[derive(Clone)]
pub struct PgOptions {
    config: tokio_postgres::Config,
    ca_file: Option<PathBuf>,
    tls: bool,
    shown: String,
}

impl std::fmt::Debug for PgOptions {
    // The derived one would print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions").field("database", &self.shown).field("tls", &self.tls).finish()
    }
}

/// Whether `store` names a PostgreSQL database rather than a data directory.
pub fn is_postgres_url(store: &str) -> bool {
    store.starts_with("postgres://") || store.starts_with("postgresql://")
}

impl PgOptions {
    /// Reads a `postgres://user@host:port/db?sslmode=require&sslrootcert=FILE` URL. What it
    /// leaves out comes from `env` (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`,
    /// `PGSSLROOTCERT`); the password from the URL, else `password_file` (which must not be
    /// readable by group or others), else `PGPASSWORD`.
    pub fn parse(
        url: &str,
        password_file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StoreError> {
        let invalid = |reason: String| StoreError::Invalid { what: "PostgreSQL URL", reason };
        if !is_postgres_url(url) {
            return Err(invalid("must start with postgres:// or postgresql://".to_string()));
        }
        // tokio-postgres knows no `sslrootcert` and only disable/prefer/require: take them
        // out here. rustls always checks the server's name, so verify-ca is verify-full.
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let mut ca_file = None;
        let mut ssl_mode = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslrootcert", value)) => ca_file = Some(PathBuf::from(value)),
                Some(("sslmode", value)) => ssl_mode = Some(value.to_string()),
                _ => kept.push(pair),
            }
        }
        let rebuilt =
            if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        let mut config: tokio_postgres::Config =
            rebuilt.parse().map_err(|e: tokio_postgres::Error| invalid(e.to_string()))?;

        if config.get_hosts().is_empty() {
            match env("PGHOST").filter(|h| !h.is_empty()) {
                Some(host) => {
                    for h in host.split(',') {
                        config.host(h);
                    }
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty() {
            if let Some(port) = env("PGPORT").filter(|p| !p.is_empty()) {
                let port = port.parse().map_err(|_| invalid(format!("PGPORT {port:?}")))?;
                config.port(port);
            }
        }
        if config.get_user().is_none() {
            match env("PGUSER").or_else(|| env("USER")).filter(|u| !u.is_empty()) {
                Some(user) => config.user(user),
                None => return Err(invalid("names no user (nor PGUSER)".to_string())),
            };
        }
        if config.get_dbname().is_none() {
            if let Some(db) = env("PGDATABASE").filter(|d| !d.is_empty()) {
                config.dbname(db);
            }
        }
        if config.get_password().is_none() {
            if let Some(file) = password_file {
                config.password(read_password_file(file)?.as_bytes());
            } else if let Some(password) = env("PGPASSWORD") {
                config.password(Zeroizing::new(password).as_bytes());
            }
        }
        let ssl_mode = ssl_mode.or_else(|| env("PGSSLMODE")).unwrap_or_default();
        let tls = match ssl_mode.as_str() {
            "require" | "verify-ca" | "verify-full" => true,
            "" | "disable" | "allow" | "prefer" => false,
            other => return Err(invalid(format!("unknown sslmode {other:?}"))),
        };
        config.ssl_mode(if tls { SslMode::Require } else { SslMode::Disable });
        let ca_file = ca_file.or_else(|| env("PGSSLROOTCERT").map(PathBuf::from));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // A server that vanished without closing the socket is noticed in about a minute.
        config.keepalives(true).keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("twofold-portal");
        }
        let shown = shown(&config);
        Ok(PgOptions { config, ca_file, tls, shown })
    }

    /// `postgres://user@host:port/db`, without the password: what messages name.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn tls(&self) -> Result<Tls, StoreError> {
        if !self.tls {
            return Ok(Tls::None);
        }
        let tls_error = |reason: String| StoreError::Invalid { what: "PostgreSQL TLS", reason };
        let mut roots = rustls::RootCertStore::empty();
        match &self.ca_file {
            Some(file) => {
                let pem = std::fs::read(file)
                    .map_err(|e| tls_error(format!("CA file {}: {e}", file.display())))?;
                for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                    let cert =
                        cert.map_err(|e| tls_error(format!("CA file {}: {e}", file.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| tls_error(format!("CA file {}: {e}", file.display())))?;
                }
                if roots.is_empty() {
                    return Err(tls_error(format!(
                        "CA file {} holds no certificate",
                        file.display()
                    )));
                }
            }
            None => {
                for cert in rustls_native_certs::load_native_certs().certs {
                    // One unusable system certificate must not refuse the rest.
                    let _ = roots.add(cert);
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Tls::Rustls(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }
}

fn shown(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = config.get_ports().first().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "postgres://{}@{host}{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// The password file's first line. Refused when group or others may read it: a password
/// for the whole shared store must be as private as the key file.
fn read_password_file(path: &Path) -> Result<Zeroizing<String>, StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display().to_string();
    let file_error = |reason: String| StoreError::KeyFile { path: shown.clone(), reason };
    let meta = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(file_error(format!(
            "mode {:o} lets others read the database password; chmod 600 it",
            meta.permissions().mode() & 0o777
        )));
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?);
    let line = text.lines().next().unwrap_or("");
    Ok(Zeroizing::new(line.to_string()))
}

pub struct PostgresStore {
    pool: Pool,
    pub(crate) secrets: SecretBox,
    dir: PathBuf,
    shown: String,
}

impl PostgresStore {
    /// Connects, applies the schema migrations and unlocks the secrets with `dir/secrets.key`
    /// (created when the database holds nothing sealed yet). `dir` is the server's own data
    /// directory (admin token, key file), created 0700 when its parent exists.
    pub fn open(options: &PgOptions, dir: &Path) -> Result<Self, StoreError> {
        let shown_dir = dir.display().to_string();
        let dir_error = |source| StoreError::DataDir { path: shown_dir.clone(), source };
        if !dir.exists() {
            std::fs::create_dir(dir).map_err(dir_error)?;
        }
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(dir_error)?;
        }
        let pool = Pool::new(options.config.clone(), options.tls()?, POOL_SIZE, POOL_WAIT)?;
        let key_path = dir.join(KEY_FILE);
        let shown = options.shown.clone();
        let secrets = {
            let mut conn = pool.get()?;
            pool.block_on(async {
                migrate(conn.client()).await?;
                unlock_secrets(conn.client(), &key_path, &shown).await
            })?
        };
        Ok(PostgresStore { pool, secrets, dir: dir.to_path_buf(), shown })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The database, as messages name it (no password).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs `f` on a pooled connection.
    pub(crate) fn with<T>(
        &self,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        self.pool.block_on(f(conn.client()))
    }

    /// Runs `f` in a transaction (READ COMMITTED: every compare-and-set is one conditional
    /// UPDATE, which re-checks its condition on the row a concurrent writer committed).
    pub(crate) fn write<T>(
        &self,
        f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(async |client| {
            let tx = client.transaction().await?;
            let out = f(&tx).await?;
            tx.commit().await?;
            Ok(out)
        })
    }
}

/// Applies the missing migrations, one transaction each, under an advisory lock so several
/// servers starting on a fresh database apply each version once.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    loop {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS twofold_schema (version BIGINT NOT NULL)")
            .await?;
        let version: i64 = match tx.query_opt("SELECT version FROM twofold_schema", &[]).await? {
            Some(row) => row.try_get(0)?,
            None => {
                tx.execute("INSERT INTO twofold_schema (version) VALUES (0)", &[]).await?;
                0
            }
        };
        if version > CURRENT {
            return Err(StoreError::SchemaTooNew { found: version, known: CURRENT });
        }
        if version == CURRENT {
            tx.commit().await?;
            return Ok(());
        }
        let migration = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
            .ok_or(StoreError::SchemaTooNew { found: version, known: CURRENT })?;
        tx.batch_execute(migration.postgres).await?;
        tx.execute("UPDATE twofold_schema SET version = $1", &[&(version + 1)]).await?;
        tx.commit().await?;
    }
}

/// As for SQLite (`sqlite.rs`): load the key file, or create one when the database holds
/// nothing sealed; check it against the database's check value, storing one the first time.
/// Under an advisory lock, so two servers opening a fresh database at once cannot each make a
/// key: the second sees the first one's check value and is told to copy its key file.
async fn unlock_secrets(
    client: &mut Client,
    key_path: &Path,
    database: &str,
) -> Result<SecretBox, StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KEY_LOCK]).await?;
    let check: Option<Vec<u8>> = tx
        .query_opt("SELECT value FROM settings WHERE key = $1", &[&KEY_CHECK_SETTING])
        .await?
        .map(|row| row.try_get::<_, String>(0))
        .transpose()?
        .map(|text| from_hex(&text).unwrap_or_default());
    let enrolled: bool =
        tx.query_one("SELECT EXISTS (SELECT 1 FROM enrollments)", &[]).await?.try_get(0)?;
    let names = || (key_path.display().to_string(), database.to_string());
    let secrets = match SecretBox::load(key_path)? {
        Some(secrets) => secrets,
        None if check.is_some() || enrolled => {
            let (path, database) = names();
            return Err(StoreError::SharedKeyMissing { path, database });
        }
        None => SecretBox::create(key_path)?,
    };
    let mismatch = || {
        let (path, database) = names();
        StoreError::SharedKeyMismatch { path, database }
    };
    match check {
        Some(check) if secrets.matches_check(&check) => {}
        Some(_) => return Err(mismatch()),
        None => {
            if enrolled {
                // Only a copy from SQLite (`migrate`) brings secrets without a check value,
                // and it copies the check value too; refuse rather than guess.
                let rows = tx
                    .query("SELECT user_name::text, secret FROM enrollments LIMIT 16", &[])
                    .await?;
                let opens = rows.iter().any(|r| {
                    match (r.try_get::<_, String>(0), r.try_get::<_, Vec<u8>>(1)) {
                        (Ok(user), Ok(sealed)) => secrets.open(&user, &sealed).is_ok(),
                        _ => false,
                    }
                });
                if !opens {
                    return Err(mismatch());
                }
            }
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ($1, $2)",
                &[&KEY_CHECK_SETTING, &to_hex(&secrets.check_value())],
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(secrets)
}
