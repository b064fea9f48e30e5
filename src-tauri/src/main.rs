//! `twofold`: with no arguments it opens the desktop app (Authenticator and Admin modes);
//! with a subcommand it runs that command and exits without ever starting the GUI.
//!
//! The command line is parsed first, so a typo (`twofold cdoe …`) is an error on stderr and a
//! non-zero exit, never a window.

// No console window on Windows release builds; the CLI still prints when run from a console.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

mod cli;
mod commands;
mod gui;
mod tray;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match args.command {
        None => match gui::run() {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("twofold: {e:#}");
                std::process::ExitCode::FAILURE
            }
        },
        Some(command) => cli::run(command),
    }
}
