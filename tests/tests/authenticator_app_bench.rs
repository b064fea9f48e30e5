//! Measurements of the Authenticator mode for docs/BENCHMARKS.md ("Authenticator mode: start
//! and memory"), run by scripts/bench-desktop.sh — `#[ignore]`d so `cargo test` never times
//! anything: process start to the account list drawn with its codes (12 accounts read from
//! the real gnome-keyring), idle memory of every process of the app before and after the
//! quick-pick window has been used once, and OTPClient and KeePassXC idle in the same session.
//! Figures are printed as `BENCH name value unit` lines; nothing is asserted about them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use twofold_e2e::app::{app_binary, App};
use twofold_e2e::authenticator_tools::twofold_cli;
use twofold_e2e::authenticator_ui::authenticator_app_tools;
use twofold_e2e::bench::{
    bench, page_timeline, pid_of, process_start_epoch_ms, report_peers, report_tree_memory,
};
use twofold_e2e::desktop_session::DesktopSession;

/// Accounts in the vault, about what a person keeps (and enough that keyring reads show).
const ACCOUNTS: usize = 12;

fn seed_vault(session: &DesktopSession, vault: &std::path::Path) {
    let uris: String = (0..ACCOUNTS)
        .map(|i| {
            format!(
                "otpauth://totp/Issuer{i}:person{i}@example.com?secret=JBSWY3DPEHPK3PX{}&issuer=Issuer{i}\n",
                (b'A' + i as u8) as char
            )
        })
        .collect();
    let file = vault.join("accounts.txt");
    std::fs::write(&file, uris).expect("write the link list");
    let env = session.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dir = vault.to_string_lossy().into_owned();
    env.push(("TWOFOLD_VAULT_DIR", &dir));
    let out = twofold_cli(&["import", &file.to_string_lossy()], &env, None);
    assert!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(&file).expect("remove the link list");
}

fn xdotool(session: &DesktopSession, args: &[&str]) -> bool {
    Command::new("timeout")
        .arg("10")
        .arg("xdotool")
        .args(args)
        .envs(session.env())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

#[tokio::test]
#[ignore = "benchmark: run by scripts/bench-desktop.sh"]
async fn authenticator_bench_start_to_codes_and_idle_memory() {
    if !authenticator_app_tools("authenticator_bench", &["xdotool"]) {
        return;
    }
    let session = DesktopSession::start();
    let vault = tempfile::tempdir().expect("vault dir");
    seed_vault(&session, vault.path());
    let dir = vault.path().to_string_lossy().into_owned();
    let env = [("TWOFOLD_MODE", "authenticator"), ("TWOFOLD_VAULT_DIR", dir.as_str())];
    let last_row = format!("[data-testid=auth-row]:nth-child({ACCOUNTS}) [data-code]");

    // Start → the list with its codes, four runs (the first pays cold caches).
    for run in 1..=4 {
        let started = Instant::now();
        let app = App::start(&session, &env).await;
        app.find(&last_row).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let timeline = page_timeline(&app.client, "twofold:authenticator-codes").await;
        println!("timeline run{run}: {}", timeline.summary);
        bench(&format!("start_to_codes_run{run}"), elapsed, "ms (incl. WebDriver session)");
        let pid = pid_of(&app_binary()).expect("the app's process");
        bench(
            &format!("process_start_to_codes_run{run}"),
            timeline.mark_epoch_ms() - process_start_epoch_ms(pid),
            "ms (±10 ms: kernel start time in clock ticks)",
        );
        if run < 4 {
            app.close().await;
            continue;
        }

        // Idle: codes shown, nothing happening for 5 s (the codes still turn each period).
        tokio::time::sleep(Duration::from_secs(5)).await;
        report_tree_memory("twofold_authenticator_tree", pid);

        // The quick-pick, opened by its shortcut and closed: its web view stays for next time.
        let opened = xdotool(&session, &["key", "--clearmodifiers", "ctrl+alt+shift+o"])
            && xdotool(
                &session,
                &["search", "--sync", "--onlyvisible", "--name", "Twofold quick pick"],
            );
        tokio::time::sleep(Duration::from_millis(800)).await;
        xdotool(&session, &["key", "Escape"]);
        if opened {
            tokio::time::sleep(Duration::from_secs(5)).await;
            report_tree_memory("twofold_after_quick_pick_tree", pid);
        } else {
            println!("BENCH quick-pick did not open");
        }
        app.close().await;
    }

    // The peers, measured the same way in the same session.
    report_peers(&session).await;
}
