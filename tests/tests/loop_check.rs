//! `twofold loop-check` against a fresh real `twofold-portal serve` (its data directory holds
//! admin.token and gateway.token), with the app's vault in a real gnome-keyring on a private
//! D-Bus session: every step passes and nothing is left behind — directory users, principals,
//! the 2FA switch, vault accounts and keyring items are as before. And against a portal run
//! under libfaketime two minutes ahead: the clock step fails, saying which way and by how much,
//! and the command exits 1.

use std::process::Output;

use twofold_e2e::app::app_binary;
use twofold_e2e::authenticator_tools::{keyring_item_count, stored_accounts, twofold_cli};
use twofold_e2e::desktop_session::{DesktopSession, SESSION_TOOLS};
use twofold_e2e::portal::{faketime_present, PortalOptions};
use twofold_e2e::{tools_present, Portal};

fn loop_check(portal: &Portal, session: &DesktopSession, vault: &std::path::Path) -> Output {
    let token = portal.data_dir().join("admin.token");
    let env = session.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let vault = vault.to_string_lossy().into_owned();
    env.push(("TWOFOLD_VAULT_DIR", &vault));
    let token = token.to_string_lossy().into_owned();
    let args = [
        "loop-check",
        "--portal",
        &portal.base,
        "--admin-url",
        &portal.admin_base,
        "--admin-token-file",
        &token,
        "--json",
    ];
    twofold_cli(&args, &env, None)
}

fn report_of(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "loop-check --json printed no JSON ({e}):\n{stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// What the portal holds that a loop check must leave as it found it.
fn portal_state(portal: &Portal) -> (String, String, String) {
    (
        portal.cli(&["user", "list"], None),
        portal.cli(&["principals", "list"], None),
        portal.cli(&["2fa", "status"], None),
    )
}

#[tokio::test]
async fn loop_check_passes_every_step_against_a_fresh_portal_and_leaves_nothing_behind() {
    let test = "loop_check_passes_every_step_against_a_fresh_portal_and_leaves_nothing_behind";
    if !tools_present(test, SESSION_TOOLS) {
        return;
    }
    let _ = app_binary();
    let portal = Portal::start().await;
    assert!(portal.data_dir().join("gateway.token").is_file(), "serve writes gateway.token");
    // Someone else's user and principal, which the check must not touch.
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some("alice-pw\n"));
    portal.cli(&["principals", "add", "user:alice"], None);
    let before = portal_state(&portal);
    assert!(before.2.contains("off"), "a fresh portal starts with 2FA off: {}", before.2);
    let session = DesktopSession::start();
    let vault = session.home.join("vault");
    let keyring_before = keyring_item_count(&session);

    let out = loop_check(&portal, &session, &vault);
    let report = report_of(&out);
    let steps = report["steps"].as_array().expect("steps");
    let failed: Vec<&serde_json::Value> = steps.iter().filter(|s| s["passed"] != true).collect();
    assert!(
        failed.is_empty() && out.status.code() == Some(0),
        "exit {:?}; steps not passed: {failed:#?}\n{}",
        out.status.code(),
        portal.logs_text()
    );
    let names: Vec<&str> = steps.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "admin-api",
            "clock",
            "throwaway-user",
            "password-sign-in",
            "activation-qr",
            "vault",
            "activate",
            "next-code-sign-in",
            "rdp-gate",
            "reset",
            "clean-up"
        ]
    );
    for step in steps {
        assert!(step["duration_ms"].is_u64(), "{step}");
        assert!(step.get("expected").is_none(), "no expected/actual on a passed step: {step}");
    }
    let waited = steps[7]["detail"].as_str().unwrap();
    assert!(waited.contains("waited") && waited.contains("refused"), "{waited}");
    assert!(steps[8]["detail"].as_str().unwrap().contains("refused"), "{}", steps[8]);
    let removed: Vec<&str> =
        report["removed"].as_array().unwrap().iter().filter_map(|r| r.as_str()).collect();
    assert_eq!(removed.len(), 3, "vault account, portal user, the switch: {removed:?}");
    assert!(removed[0].starts_with("vault account"), "{removed:?}");
    assert!(removed[1].contains("principal entry user:loopcheck-"), "{removed:?}");
    assert!(removed[2].contains("2FA switched off again"), "{removed:?}");

    assert_eq!(portal_state(&portal), before, "users, principals and the switch as before");
    assert_eq!(stored_accounts(&vault), 0, "no vault account left");
    assert_eq!(keyring_item_count(&session), keyring_before, "no keyring item left");
    let audit = portal.cli(&["audit", "--limit", "200"], None);
    assert!(
        audit.lines().any(|l| l.contains("user.delete") && l.contains("loopcheck-")),
        "{audit}"
    );
    // Nothing secret in the report: the throwaway password and key are never printed.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("secret=") && !text.contains("password\":"), "{text}");
}

#[tokio::test]
async fn loop_check_fails_the_clock_step_when_the_portal_runs_two_minutes_ahead() {
    let test = "loop_check_fails_the_clock_step_when_the_portal_runs_two_minutes_ahead";
    if !tools_present(test, SESSION_TOOLS) {
        return;
    }
    if !faketime_present(test) {
        return;
    }
    let _ = app_binary();
    let portal = Portal::start_with(PortalOptions::clock_ahead(120)).await;
    let before = portal_state(&portal);
    let session = DesktopSession::start();
    let vault = session.home.join("vault");

    let out = loop_check(&portal, &session, &vault);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed step is exit 1: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = report_of(&out);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps[0]["passed"], true, "{}", steps[0]);
    let clock = &steps[1];
    assert_eq!(clock["name"], "clock");
    assert_eq!(clock["status"], "failed", "{clock}");
    let detail = clock["detail"].as_str().unwrap();
    assert!(
        detail.contains("120 s ahead of this machine's"),
        "which way and by how much: {detail}"
    );
    assert!(clock["expected"].as_str().unwrap().contains("within"), "{clock}");
    // "+119.6 s (portal minus this machine)": the sign says which way, the figure how far
    // (the portal's start and the check are a few hundred milliseconds apart under faketime).
    let actual = clock["actual"].as_str().unwrap();
    let shown: f64 = actual
        .strip_prefix('+')
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a signed figure in seconds: {actual}"));
    assert!((118.0..=122.0).contains(&shown), "{clock}");
    let offset = report["clock_offset_secs"].as_f64().unwrap();
    assert!((118.0..=122.0).contains(&offset), "{offset}");
    // The later steps did not run; clean-up did, and restored the switch.
    for step in &steps[2..10] {
        assert_eq!(step["status"], "skipped", "{step}");
        assert!(step["detail"].as_str().unwrap().contains("clock failed"), "{step}");
    }
    assert_eq!(steps[10]["name"], "clean-up");
    assert_eq!(steps[10]["passed"], true, "{}", steps[10]);
    assert_eq!(portal_state(&portal), before, "nothing left behind");
}
