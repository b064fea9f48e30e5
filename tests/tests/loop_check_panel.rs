//! The Admin mode's Loop check panel and the clock warning, end to end: the real `twofold`
//! app under a private Xvfb desktop (its own D-Bus and unlocked gnome-keyring, so the run uses
//! the app's real vault and OS keyring), driven through tauri-driver, against a real portal.
//!
//! - Run from the panel: every step fills in and passes, Run is disabled while it runs and the
//!   backend refuses a second run at once (`already_running`), the report text is the CLI's
//!   table, Copy report puts that table on the clipboard, the portal URL is remembered after a
//!   restart, and nothing is left behind (users, principals, switch, vault, keyring).
//! - A portal under libfaketime two minutes ahead: Admin mode warns that this computer is
//!   behind by 2 min, the panel's clock step fails showing expected and actual, and
//!   Authenticator mode shows the same warning.
//!
//! Screenshots: `tests/artifacts/loopcheck-*.png`.

// `ONE_APP` is a std Mutex held across awaits on purpose: each #[tokio::test] has its own
// runtime on its own thread, and the guard only makes those threads take turns.
#![allow(clippy::await_holding_lock)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use twofold_e2e::app::{driven_app_tools_present, App};
use twofold_e2e::authenticator_tools::{clipboard_text, keyring_item_count, stored_accounts};
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::portal::{faketime_present, PortalOptions};
use twofold_e2e::Portal;

/// One app at a time: each brings up Xvfb and WebKit, and two cores are shared.
static ONE_APP: Mutex<()> = Mutex::new(());

const STEPS: [&str; 11] = [
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
    "clean-up",
];

/// A whole loop waits for the next 30 s time step once; on a busy machine it takes longer.
const RUN_WAIT: Duration = Duration::from_secs(150);

fn tools(test: &str) -> bool {
    driven_app_tools_present(test, &["xclip"])
}

/// Starts the app against `portal` (token found through `TWOFOLD_DATA`, as for a local
/// portal, so the RDP gate's token is found beside it), the vault in `vault`, and opens the
/// Admin mode.
async fn open_admin(session: &DesktopSession, portal: &Portal, vault: &std::path::Path) -> App {
    let data = portal.data_dir().to_string_lossy().into_owned();
    let vault = vault.to_string_lossy().into_owned();
    let env = [
        ("TWOFOLD_ADMIN_URL", portal.admin_base.as_str()),
        ("TWOFOLD_DATA", data.as_str()),
        ("TWOFOLD_VAULT_DIR", vault.as_str()),
    ];
    let app = App::start(session, &env).await;
    // Tall enough for the eleven steps and the result under them.
    let _ = app.client.set_window_rect(0, 0, 1280, 1060).await;
    app.click("[data-testid=mode-admin]").await;
    app.find("[data-testid=admin-screen]").await;
    app
}

async fn open_panel(app: &App) {
    app.click("[data-testid=section-loopcheck]").await;
    app.find("[data-testid=loopcheck-view]").await;
    app.find("[data-testid=loopcheck-step][data-name=clean-up]").await;
}

/// Polls the JavaScript `condition` for up to `wait`; panics with the page text naming `what`.
async fn wait_long(app: &App, condition: &str, what: &str, wait: Duration) {
    let script = format!("return !!({condition});");
    let deadline = Instant::now() + wait;
    loop {
        if let Ok(serde_json::Value::Bool(true)) = app.client.execute(&script, vec![]).await {
            return;
        }
        if Instant::now() > deadline {
            let text = js_string(app, "document.body.innerText").await;
            panic!("{what}: not true after {wait:?}; the page reads:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn js_string(app: &App, expr: &str) -> String {
    let value = app.client.execute(&format!("return String({expr});"), vec![]).await;
    value.ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// `[name, status]` of every row of the panel.
async fn step_rows(app: &App) -> Vec<(String, String)> {
    let value = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=loopcheck-step]')]\
               .map(e => [e.dataset.name, e.dataset.status, e.querySelector('[data-testid=loopcheck-step-time]').textContent]);",
            vec![],
        )
        .await
        .expect("read the step rows");
    value
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let time = r[2].as_str().unwrap_or("");
            let status = r[1].as_str().unwrap_or("?").to_string();
            // A finished step shows its time.
            if status == "passed" || status == "failed" {
                assert!(!time.trim().is_empty(), "{r} has no time");
            }
            (r[0].as_str().unwrap_or("?").to_string(), status)
        })
        .collect()
}

/// Calls `loop_check_run` once more from the page while a run is under way, as a second
/// click would if the button were not disabled: the error it is refused with.
async fn second_run_refusal(app: &App, portal_url: &str) -> serde_json::Value {
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const ipc = window.__TAURI_INTERNALS__;\
             const events = '__CHANNEL__:' + ipc.transformCallback(() => {});\
             ipc.invoke('loop_check_run', { portalUrl: arguments[0], events })\
               .then(r => done({ ran: r }), e => done({ refused: e }));",
            vec![serde_json::json!(portal_url)],
        )
        .await
        .expect("invoke loop_check_run from the page")
}

fn portal_state(portal: &Portal) -> (String, String, String) {
    (
        portal.cli(&["user", "list"], None),
        portal.cli(&["principals", "list"], None),
        portal.cli(&["2fa", "status"], None),
    )
}

#[tokio::test]
async fn the_loop_check_panel_runs_every_step_live_refuses_a_second_run_and_copies_the_cli_table() {
    let test =
        "the_loop_check_panel_runs_every_step_live_refuses_a_second_run_and_copies_the_cli_table";
    if !tools(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = Portal::start().await;
    // Someone else's user and principal, which the check must leave alone.
    portal.cli(&["user", "add", "alice", "--password-stdin"], Some("alice-pw\n"));
    portal.cli(&["principals", "add", "user:alice"], None);
    let before = portal_state(&portal);
    let session = DesktopSession::start();
    let vault = session.home.join("vault");
    let keyring_before = keyring_item_count(&session);

    let app = open_admin(&session, &portal, &vault).await;
    open_panel(&app).await;
    let rows = step_rows(&app).await;
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), STEPS);
    assert!(rows.iter().all(|r| r.1 == "pending"), "{rows:?}");
    // Before any run the field offers the portal's default address on the admin API's host.
    let field = "[data-testid=loopcheck-portal-url]";
    assert_eq!(
        app.find(field).await.prop("value").await.unwrap().as_deref(),
        Some("http://127.0.0.1:8080")
    );
    app.type_into(field, &portal.base).await;

    app.click("[data-testid=loopcheck-run]:not([disabled])").await;
    app.find("[data-testid=loopcheck-view][data-running=true]").await;
    app.find("[data-testid=loopcheck-run][disabled]").await;
    // The steps fill in while the run goes on: the first is done before the last begins.
    wait_long(
        &app,
        "document.querySelector('[data-testid=loopcheck-step][data-name=admin-api]').dataset.status === 'passed' \
         && document.querySelector('[data-testid=loopcheck-step][data-name=clean-up]').dataset.status === 'pending'",
        "the first step shown passed while the run goes on",
        RUN_WAIT,
    )
    .await;
    let refused = second_run_refusal(&app, &portal.base).await;
    assert_eq!(refused["refused"]["kind"], "already_running", "{refused}");

    wait_long(
        &app,
        "document.querySelector('[data-testid=loopcheck-view]').dataset.running === 'false'",
        "the run ended",
        RUN_WAIT,
    )
    .await;
    let rows = step_rows(&app).await;
    let not_passed: Vec<_> = rows.iter().filter(|r| r.1 != "passed").collect();
    assert!(
        not_passed.is_empty(),
        "every step passes: {not_passed:?}\n{}\n{}",
        js_string(&app, "document.body.innerText").await,
        portal.logs_text()
    );
    assert_eq!(
        app.attr("[data-testid=loopcheck-view]", "data-passed").await.as_deref(),
        Some("true")
    );
    assert!(
        app.client
            .execute(
                "return document.querySelector('[data-testid=clock-warning]') === null;",
                vec![]
            )
            .await
            .unwrap()
            == serde_json::Value::Bool(true),
        "no clock warning when the clocks agree"
    );

    // The report text is the CLI's table.
    let table =
        js_string(&app, "document.querySelector('[data-testid=loopcheck-report]').textContent")
            .await;
    assert!(
        table.starts_with(&format!(
            "Loop check of {} (admin API {})",
            portal.base, portal.admin_base
        )),
        "{table}"
    );
    for (i, name) in STEPS.iter().enumerate() {
        let row = format!("{:>2}  {name:<18} pass", i + 1);
        assert!(table.contains(&row), "{row:?} in\n{table}");
    }
    assert!(
        table.contains("Clean-up removed:") && table.contains("Result: every step passed."),
        "{table}"
    );
    assert!(!table.contains("secret="), "nothing secret in the report: {table}");

    app.click("[data-testid=loopcheck-copy]").await;
    app.find("[data-testid=loopcheck-copied]").await;
    let copied = clipboard_text(&session);
    assert_eq!(copied, table, "Copy report copies the table shown");

    app.click("[data-testid=loopcheck-result] summary").await;
    let shot = app.screenshot("loopcheck-panel-passed").await;
    println!("loop check panel: {}", shot.display());

    // Nothing left behind: the check cleaned up as the CLI does.
    assert_eq!(portal_state(&portal), before, "users, principals and the switch as before");
    assert_eq!(stored_accounts(&vault), 0, "no vault account left");
    assert_eq!(keyring_item_count(&session), keyring_before, "no keyring item left");

    // The portal URL is remembered for the next run, also after a restart.
    app.close().await;
    let app = open_admin(&session, &portal, &vault).await;
    open_panel(&app).await;
    app.wait_until(
        &format!(
            "document.querySelector('[data-testid=loopcheck-portal-url]').value === {}",
            serde_json::to_string(&portal.base).unwrap()
        ),
        "the portal URL of the last run in the field",
    )
    .await;
    app.close().await;
}

#[tokio::test]
async fn a_portal_two_minutes_ahead_is_warned_about_in_admin_and_authenticator_mode_and_fails_the_clock_step(
) {
    let test = "a_portal_two_minutes_ahead_is_warned_about_in_admin_and_authenticator_mode_and_fails_the_clock_step";
    if !tools(test) || !faketime_present(test) {
        return;
    }
    let _one = ONE_APP.lock().unwrap_or_else(|p| p.into_inner());
    let portal = Portal::start_with(PortalOptions::clock_ahead(120)).await;
    let before = portal_state(&portal);
    let session = DesktopSession::start();
    let vault = session.home.join("vault");

    let app = open_admin(&session, &portal, &vault).await;
    app.wait_for_text("[data-testid=clock-warning]", "behind the portal's").await;
    let warning = app.text("[data-testid=clock-warning]").await;
    assert!(
        warning.contains("This computer's clock is")
            && warning.contains("codes will be refused")
            && warning.contains("NTP"),
        "{warning}"
    );
    // +119.6 … +120.4 s: "2 min 0 s" (or 1 min 59 s / 2 min 1 s on a slow start).
    assert!(warning.contains(" min "), "by how much: {warning}");
    let offset: f64 = app
        .attr("[data-testid=clock-warning]", "data-offset")
        .await
        .and_then(|v| v.parse().ok())
        .expect("the measured offset on the warning");
    assert!((118.0..=122.0).contains(&offset), "{offset}");
    println!(
        "admin clock warning: {}",
        app.screenshot("loopcheck-clock-warning-admin").await.display()
    );

    // The panel's run stops at the clock step, shows what was expected and what came back,
    // and still cleans up.
    open_panel(&app).await;
    app.type_into("[data-testid=loopcheck-portal-url]", &portal.base).await;
    app.click("[data-testid=loopcheck-run]:not([disabled])").await;
    wait_long(
        &app,
        "document.querySelector('[data-testid=loopcheck-view]').dataset.passed === 'false'",
        "the run ended failed",
        RUN_WAIT,
    )
    .await;
    let rows = step_rows(&app).await;
    assert_eq!(rows[0].1, "passed", "{rows:?}");
    assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("clock", "failed"), "{rows:?}");
    assert!(rows[2..10].iter().all(|r| r.1 == "skipped"), "{rows:?}");
    assert_eq!(rows[10].1, "passed", "clean-up ran: {rows:?}");
    let failure = app
        .text("[data-testid=loopcheck-step][data-name=clock] [data-testid=loopcheck-failure]")
        .await;
    assert!(
        failure.contains("within") && failure.contains("portal minus this machine"),
        "{failure}"
    );
    println!(
        "clock step failed: {}",
        app.screenshot("loopcheck-panel-clock-failed").await.display()
    );
    assert_eq!(portal_state(&portal), before, "nothing left behind");

    app.click("[data-testid=mode-authenticator]").await;
    app.wait_for_text("[data-testid=clock-warning]", "behind the portal's").await;
    println!(
        "authenticator clock warning: {}",
        app.screenshot("loopcheck-clock-warning-authenticator").await.display()
    );
    app.close().await;
}
