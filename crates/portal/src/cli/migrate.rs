//! `twofold-portal migrate --from DIR --to postgres://…`: copies a SQLite data directory into
//! an empty PostgreSQL database for several servers, and verifies the copy (every row read
//! back, every enrolled secret opened with the directory's key file).
//!
//! What it leaves out: distributing `secrets.key` (the operator copies it to every server,
//! docs/DEPLOY.md section 8) and switching the servers over (`store = "postgres://…"`).

use std::path::PathBuf;

use anyhow::Context;
use twofold_store::{copy_sqlite_to_postgres, PgOptions};

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The SQLite data directory to copy (its twofold.db and secrets.key); only read.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The empty PostgreSQL database, postgres://user@host:port/database (PG* variables fill
    /// in what it leaves out).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// A file (mode 0600) holding the database password; else the URL's or PGPASSWORD.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let options = PgOptions::parse(&args.to, args.password_file.as_deref(), &|name| {
        std::env::var(name).ok()
    })?;
    let report = copy_sqlite_to_postgres(&args.from, &options)
        .with_context(|| format!("copying {} into {}", args.from.display(), options.shown()))?;
    println!("copied {} into {}:", args.from.display(), options.shown());
    for (table, rows) in &report.tables {
        println!("  {table:<17} {rows} row(s)");
    }
    println!(
        "verified: every table read back equal; {} enrolled secret(s) open with {}",
        report.secrets_opened,
        args.from.join("secrets.key").display()
    );
    println!(
        "next: copy {} (mode 0600) into every server's data directory, then set store = \"{}\"",
        args.from.join("secrets.key").display(),
        options.shown()
    );
    Ok(())
}
