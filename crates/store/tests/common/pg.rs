//! A real PostgreSQL server for tests ([`PgServer`]), shared by the store's tests and the
//! portal's multi-server tests (included there with `#[path]`).
//!
//! PostgreSQL refuses to run as root and the tests run as root (CI, the dev machine), so the
//! cluster is made and run as `nobody` (through `runuser`) when the tests are root, and as the
//! current user otherwise. One `initdb` per test binary makes a template cluster; each server
//! copies it, listens on its own loopback port (and a socket in its own temp dir) and is
//! stopped when dropped.
//!
//! A missing PostgreSQL skips a test with a note, except under `TWOFOLD_E2E_REQUIRE_TOOLS=1`
//! (set by the Makefile), where it fails: `make test` installs it (scripts/install-deps.sh).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use twofold_store::PgOptions;

/// The role `initdb` makes; the clusters trust loopback connections.
pub const PG_USER: &str = "twofold";

/// Skips (returns) unless the tools are required, where it fails.
pub fn missing(what: &str) {
    if std::env::var("TWOFOLD_E2E_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{what} is required (TWOFOLD_E2E_REQUIRE_TOOLS=1): run scripts/install-deps.sh");
    }
    eprintln!("skipped: {what} not installed (scripts/install-deps.sh installs it)");
}

/// Debian's newest `/usr/lib/postgresql/N/bin` holding initdb, pg_ctl and postgres.
pub fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|b| bin.join(b).exists())
                .then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `Some((uid, gid))` of `nobody` when we are root: PostgreSQL must run as someone else.
fn run_as() -> Option<(u32, u32)> {
    static IDS: OnceLock<Option<(u32, u32)>> = OnceLock::new();
    *IDS.get_or_init(|| {
        if output(Command::new("id").arg("-u")) != "0" {
            return None;
        }
        let uid = output(Command::new("id").args(["-u", "nobody"])).parse().unwrap();
        let gid = output(Command::new("id").args(["-g", "nobody"])).parse().unwrap();
        Some((uid, gid))
    })
}

/// A command run as the cluster's user.
fn pg_command(program: &Path) -> Command {
    match run_as() {
        Some(_) => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "nobody", "--"]).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

fn give_to_cluster_user(path: &Path) {
    if let Some((uid, gid)) = run_as() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    }
}

fn make_traversable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The template cluster of this test binary, made once (initdb takes a second or two).
fn template(bin: &Path) -> &'static Path {
    static TEMPLATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let root = tempfile::Builder::new().prefix("twofold-pg-template-").tempdir().unwrap();
            make_traversable(root.path());
            let data = root.path().join("data");
            std::fs::create_dir(&data).unwrap();
            give_to_cluster_user(&data);
            output(pg_command(&bin.join("initdb")).arg("-D").arg(&data).args([
                "-U",
                PG_USER,
                "--auth=trust",
                "--locale=C",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ]));
            root
        })
        .path()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A PostgreSQL server of its own for one test, on 127.0.0.1, stopped on drop.
pub struct PgServer {
    root: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl PgServer {
    /// `None` (the test is skipped) when PostgreSQL is not installed and not required.
    pub fn start() -> Option<PgServer> {
        Self::start_with(|_| {})
    }

    /// As [`Self::start`], with `prepare` given the cluster's data directory first (to add
    /// settings or files; what it writes is handed to the cluster's user).
    pub fn start_with(prepare: impl FnOnce(&Path)) -> Option<PgServer> {
        let Some(bin) = pg_bin() else {
            missing("PostgreSQL (/usr/lib/postgresql/N/bin/{initdb,pg_ctl,postgres})");
            return None;
        };
        let template = template(&bin);
        let root = tempfile::Builder::new().prefix("twofold-pg-").tempdir().unwrap();
        make_traversable(root.path());
        output(
            Command::new("cp").arg("-a").arg(template.join("data")).arg(root.path().join("data")),
        );
        prepare(&root.path().join("data"));
        if run_as().is_some() {
            // What `prepare` wrote belongs to root; the server must read its own files.
            output(
                Command::new("chown").args(["-R", "nobody:nogroup"]).arg(root.path().join("data")),
            );
        }
        let run = root.path().join("run");
        std::fs::create_dir(&run).unwrap();
        give_to_cluster_user(&run);
        let mut server = PgServer { root, bin, port: 0 };
        // A port found free can be taken before the server binds it: try a few.
        for attempt in 0..5 {
            server.port = free_port();
            match server.try_start() {
                Ok(()) => return Some(server),
                Err(log) if attempt == 4 => panic!("PostgreSQL did not start:\n{log}"),
                Err(_) => continue,
            }
        }
        unreachable!()
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.root.path().join("run/postgres.log")
    }

    fn try_start(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.root.path().join("run").display()
        );
        let status = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(std::fs::read_to_string(self.log()).unwrap_or_default())
        }
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) {
        self.try_start().unwrap_or_else(|log| panic!("PostgreSQL did not start again:\n{log}"));
    }

    /// Stops the server (fast: connections are closed, as when a database host goes down).
    pub fn stop(&self) {
        let _ = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://{PG_USER}@127.0.0.1:{}/{database}", self.port)
    }

    pub fn options(&self, database: &str) -> PgOptions {
        PgOptions::parse(&self.url(database), None, &|_| None).unwrap()
    }

    pub fn create_database(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
    }

    /// Runs `sql` with `psql` on `database`; its unaligned output (`|` between columns).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        output(
            Command::new(self.bin.join("psql"))
                .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
                .args(["-p", &self.port.to_string(), "-U", PG_USER, "-d", database, "-c", sql]),
        )
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}
