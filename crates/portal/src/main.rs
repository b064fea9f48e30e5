//! `twofold-portal`: serve the portal, fill a demo directory, administer a data directory, or
//! (vendor side) issue a license. Parses the command line and hands over to the library.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    private_file_modes();
    return_big_blocks_to_the_system();
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("twofold-portal: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Files and directories this process creates are its user's only (0600/0700), whatever umask
/// it was started with: the database's `-wal`/`-shm` hold password hashes, and a file made
/// before its mode is fixed must not be readable in between. The store still sets modes
/// itself; this covers everything else the portal writes (admin token, license files).
fn private_file_modes() {
    // SAFETY: umask(2) only replaces the process's file mode creation mask; it cannot fail
    // and touches no memory. Called first, before any thread is started.
    unsafe {
        libc::umask(0o077);
    }
}

/// Every password check allocates Argon2's 19 MiB block and frees it. glibc serves blocks that
/// size from its heap arenas once its dynamic mmap threshold has grown, and then keeps them:
/// under load the portal grew to 3–4 GiB although at most a few hashes run at once
/// (docs/RELIABILITY.md). A fixed threshold of 1 MiB makes every such block its own mapping,
/// returned to the system on free, so memory follows the hash slots (97 MiB under the same
/// load).
fn return_big_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; called before any thread starts and
    // before any large allocation.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
