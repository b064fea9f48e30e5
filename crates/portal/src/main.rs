//! `twofold-portal`: serve the portal, fill a demo directory, administer a data directory, or
//! (vendor side) issue a license. Parses the command line and hands over to the library.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twofold-portal: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
