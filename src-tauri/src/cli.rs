//! The command line of DESIGN.md: `code`, `scan`, `import`, `export` (the Authenticator mode's) and
//! `loop-check` (the tester's). This module owns parsing and exit codes; each subcommand's
//! work lives in its own module.
//!
//! Exit status: 0 on success, 1 when the work failed (the reason on stderr), 2 for a usage
//! error (clap's), so scripts cannot mistake it for success. `loop-check` keeps the same
//! meaning per step: 1 a step failed, 2 a usage or connection problem.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod code;
mod export;
mod import;
mod loop_check;
mod scan;

#[derive(Parser)]
#[command(
    name = "twofold",
    version,
    about = "Twofold: two-factor authentication — the desktop authenticator and the portal's administration application",
    long_about = "Without a subcommand, opens the Twofold window (Authenticator and Admin modes)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Print the current code of an otpauth:// URI.
    Code {
        /// The otpauth://totp/… or otpauth://hotp/… URI.
        uri: String,
        /// Compute the code at this Unix time instead of now.
        #[arg(long, value_name = "UNIX")]
        at: Option<u64>,
    },
    /// Print every otpauth URI found in QR codes in the images.
    Scan {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
    },
    /// Read another authenticator app's export and add its accounts to the vault.
    Import {
        file: PathBuf,
        /// Print the entries as otpauth URIs instead of adding them.
        #[arg(long)]
        dry_run: bool,
        /// Read the password of an encrypted export from the first line of stdin (without
        /// it, a terminal is asked).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Write the vault's accounts to a file another authenticator imports: an encrypted
    /// Aegis vault (default), or a plain otpauth:// list (every secret readable).
    Export {
        /// The file to write (created 0600; an existing one only with --force).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// aegis and uris write FILE; google-qr writes PNGs into directory FILE.
        #[arg(long, value_enum, default_value = "aegis")]
        format: ExportKind,
        /// Read the export's password from the first line of stdin (without it, a terminal
        /// is asked twice).
        #[arg(long)]
        password_stdin: bool,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Drive the whole enroll-and-sign-in loop against a portal and report each step.
    LoopCheck(loop_check::LoopCheckArgs),
    /// Write the man pages and shell completions into DIR (the packages' build runs it).
    #[command(hide = true)]
    GenerateDocs {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// The formats of `twofold export`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportKind {
    /// Aegis's encrypted vault (scrypt + AES-GCM): Aegis and Twofold import it.
    Aegis,
    /// otpauth:// URIs, one per line, unencrypted.
    Uris,
    /// Google Authenticator transfer QR codes (PNG files), to move the accounts to a phone.
    GoogleQr,
}

/// Runs one subcommand; never opens a window.
pub fn run(command: Command) -> ExitCode {
    let (name, outcome) = match command {
        Command::Code { uri, at } => ("code", code::run(&uri, at)),
        Command::Scan { images } => ("scan", scan::run(&images)),
        Command::Import { file, dry_run, password_stdin } => {
            ("import", import::run(&file, dry_run, password_stdin))
        }
        Command::Export { out, format, password_stdin, force } => {
            use twofold_desktop::authenticator::ExportFormat;
            let outcome = match format {
                ExportKind::Aegis => export::run(ExportFormat::Aegis, &out, password_stdin, force),
                ExportKind::Uris => export::run(ExportFormat::UriList, &out, password_stdin, force),
                ExportKind::GoogleQr => export::run_transfer(&out, force),
            };
            ("export", outcome)
        }
        Command::GenerateDocs { out } => ("generate-docs", generate_docs(&out)),
        // Its own exit statuses: 1 a step failed, 2 a usage or connection problem.
        Command::LoopCheck(args) => return loop_check::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twofold {name}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn generate_docs(out: &std::path::Path) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let written = twofold_docgen::write_docs(Cli::command(), out)?;
    println!(
        "{} man pages and {} completion files in {}",
        written.man_pages.len(),
        written.completions.len(),
        out.display()
    );
    Ok(())
}
