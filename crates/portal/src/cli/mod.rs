//! The command line: `serve`, `demo`, the admin subcommands on a data directory (for
//! operators and scripts) and `license issue` for the vendor. Admin subcommands go through
//! the same `ops` as the admin API.

mod admin;
mod demo;
mod directory;
mod migrate;
mod pam_hook;
mod serve;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use twofold_core::data_dir::default_data_dir;
use twofold_store::{PgOptions, PostgresStore, SqliteStore, Store};

#[derive(Parser)]
#[command(
    name = "twofold-portal",
    version,
    about = "Twofold portal: two-factor sign-in for a remote-desktop web portal"
)]
pub struct Cli {
    /// The portal's data directory (database, key file, admin token). Default:
    /// $XDG_DATA_HOME/twofold-portal (~/.local/share/twofold-portal), where the desktop app
    /// on this machine looks for the admin token by itself.
    #[arg(long, global = true, env = "TWOFOLD_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The config file (TOML; see docs/DEPLOY.md). `serve` runs by it; the admin
    /// subcommands and `demo` open the store it names (`store = "postgres://…"`), so they
    /// act on the same state as the servers; `directory test` checks its `[directory]`.
    #[arg(long, global = true, env = "TWOFOLD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the portal pages and RDP gate, and the admin API on its own listener.
    Serve(serve::ServeArgs),
    /// Copy a SQLite data directory into an empty PostgreSQL database and verify the copy.
    Migrate(migrate::MigrateArgs),
    /// Check a config file and report every error with its line (exit 1 if any).
    CheckConfig { file: PathBuf },
    /// Fill the data directory with demo users, a group and principals; print the passwords.
    Demo,
    /// Users of the portal's directory.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Groups of the portal's directory.
    #[command(subcommand)]
    Group(admin::GroupCommand),
    /// The global two-factor switch: on, off or status.
    #[command(name = "2fa")]
    TwoFactor { action: admin::SwitchAction },
    /// Users and groups enabled for two-factor authentication.
    #[command(subcommand)]
    Principals(admin::PrincipalsCommand),
    /// Discard users' secrets: they get a new QR code at their next sign-in.
    Reset {
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Clear users' failed-code lock.
    Unlock {
        #[arg(required = true)]
        users: Vec<String>,
    },
    /// Install, show or (vendor side) issue a license.
    #[command(subcommand)]
    License(admin::LicenseCommand),
    /// The organisation's directory (LDAP / Active Directory) of the config file.
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// For PAM's pam_exec (expose_authtok): ask the portal's RDP gate; exit 0 only if allowed.
    PamHook(pam_hook::PamHookArgs),
    /// Write the man pages and shell completions into DIR (the packages' build runs it).
    #[command(hide = true)]
    GenerateDocs {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the audit log, newest first.
    Audit {
        /// Only entries about this user.
        #[arg(long)]
        user: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

fn open_store(data: Option<&PathBuf>) -> anyhow::Result<SqliteStore> {
    let dir = match data {
        Some(dir) => dir.clone(),
        None => {
            let dir = default_data_dir(&|name| std::env::var(name).ok());
            // Only the default's parents are created: a mistyped --data must not grow a tree.
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            eprintln!(
                "twofold-portal: data directory {} (choose another with --data)",
                dir.display()
            );
            dir
        }
    };
    SqliteStore::open(&dir).with_context(|| format!("opening the data directory {}", dir.display()))
}

/// The data directory as `open_store` chooses it, without opening a database in it.
fn data_dir(data: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    match data {
        Some(dir) => Ok(dir.clone()),
        None => {
            let dir = default_data_dir(&|name| std::env::var(name).ok());
            if let Some(parent) = dir.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            Ok(dir)
        }
    }
}

/// The store `serve` runs on: the config's PostgreSQL database (the data directory then
/// holds the key file and tokens only), else the data directory's SQLite file.
fn open_serving_store(
    data: Option<&PathBuf>,
    config: &twofold_portal::config::Config,
) -> anyhow::Result<(std::sync::Arc<dyn Store>, PathBuf)> {
    let Some(url) = &config.store else {
        let store = open_store(data)?;
        let dir = store.dir().to_path_buf();
        return Ok((std::sync::Arc::new(store), dir));
    };
    let dir = data_dir(data)?;
    let options = PgOptions::parse(url, config.store_password_file.as_deref(), &|name| {
        std::env::var(name).ok()
    })?;
    let store = PostgresStore::open(&options, &dir).with_context(|| {
        format!("opening the store {} (key file in {})", options.shown(), dir.display())
    })?;
    Ok((std::sync::Arc::new(store), dir))
}

fn check_config(file: &std::path::Path) -> anyhow::Result<()> {
    let config = serve::read_config(file)?;
    println!("{}: ok", file.display());
    let show = |a: Option<std::net::SocketAddr>, default: &str| {
        a.map(|a| a.to_string()).unwrap_or_else(|| format!("{default} (default)"))
    };
    println!("  portal listener:   {}", show(config.portal_listen, "127.0.0.1:8080"));
    println!("  admin listener:    {}", show(config.admin_listen, "127.0.0.1:8081"));
    match &config.tls {
        Some(tls) => {
            println!("  TLS:               {} / {}", tls.cert.display(), tls.key.display())
        }
        None if config.behind_tls_proxy => println!("  TLS:               terminated by a proxy"),
        None => println!("  TLS:               none (loopback only)"),
    }
    let proxies: Vec<String> = config.trusted_proxies.iter().map(ToString::to_string).collect();
    println!(
        "  trusted proxies:   {}",
        if proxies.is_empty() { "none".to_string() } else { proxies.join(", ") }
    );
    let fa = &config.forward_auth;
    println!("  protected origins: {}", fa.protected_origins.join(", "));
    println!("  desktops:          {}", config.desktops.len());
    println!("  RDP gate:          {}", if config.gateway_enabled { "on" } else { "off" });
    println!("  directory:         {}", directory::describe(&config.directory));
    Ok(())
}

/// The config of `--config`, or the defaults (built-in directory, SQLite in the data
/// directory, the RDP gate on) without one.
fn load_config(file: Option<&PathBuf>) -> anyhow::Result<twofold_portal::config::Config> {
    match file {
        Some(path) => serve::read_config(path),
        None => Ok(twofold_portal::config::Config { gateway_enabled: true, ..Default::default() }),
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let data = cli.data.as_ref();
    match cli.command {
        Command::Serve(args) => {
            let config = load_config(cli.config.as_ref())?;
            let data = data.or(config.data.as_ref());
            let (store, dir) = open_serving_store(data, &config)?;
            serve::run(store, &dir, args, config)
        }
        Command::Migrate(args) => migrate::run(args),
        Command::CheckConfig { file } => check_config(&file),
        Command::PamHook(args) => pam_hook::run(args),
        Command::Directory(command) => directory::run(cli.config.as_deref(), command),
        Command::License(admin::LicenseCommand::Issue(args)) => admin::issue_license(args),
        Command::GenerateDocs { out } => {
            use clap::CommandFactory;
            let written = twofold_docgen::write_docs(Cli::command(), &out)?;
            println!(
                "{} man pages and {} completion files in {}",
                written.man_pages.len(),
                written.completions.len(),
                out.display()
            );
            Ok(())
        }
        Command::Demo => {
            let config = load_config(cli.config.as_ref())?;
            let (store, dir) = open_serving_store(data.or(config.data.as_ref()), &config)?;
            demo::run(&*store, &dir)
        }
        other => {
            let config = load_config(cli.config.as_ref())?;
            let (store, _) = open_serving_store(data.or(config.data.as_ref()), &config)?;
            admin::run(&*store, other)
        }
    }
}
