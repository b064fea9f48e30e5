//! Measurements of the desktop app for docs/BENCHMARKS.md ("## Desktop app"), run by
//! scripts/bench-desktop.sh — `#[ignore]`d so `cargo test` never times anything:
//! start to the Admin screen showing live status, idle memory of the app and its WebKit
//! processes next to a peer desktop authenticator measured the same way, and picker search
//! over 10,000 directory entries from keystroke to results on screen.
//! Figures are printed as `BENCH name value unit` lines; nothing is asserted about them.

use std::process::Command;
use std::time::{Duration, Instant};

use twofold_e2e::app::{app_binary, App};
use twofold_e2e::bench::{
    bench, page_timeline, pid_of, process_start_epoch_ms, report_peers, report_tree_memory,
};
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::Portal;

/// Users and groups put into the directory for the picker figures.
const USERS: u32 = 9_000;
const GROUPS: u32 = 1_000;

/// Fills the portal's directory straight through SQLite (hashing 10,000 passwords through
/// the CLI would take an hour; these users never sign in).
fn seed_directory(portal: &Portal) {
    let db = portal.data_dir().join("twofold.db");
    let sql = format!(
        "PRAGMA busy_timeout=5000; BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {USERS})
           INSERT INTO users(name, password_hash, created) SELECT printf('user%05d', i), 'x', 0 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < {GROUPS})
           INSERT INTO groups(name, created) SELECT printf('group%04d', i), 0 FROM n;
         INSERT INTO memberships(group_name, user_name)
           SELECT printf('group%04d', (CAST(substr(name, 5) AS INTEGER) % {GROUPS}) + 1), name FROM users;
         COMMIT;"
    );
    let out = Command::new("sqlite3").arg(&db).arg(sql).output().expect("run sqlite3");
    assert!(out.status.success(), "seeding failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// In-page timing of one search: types `query` into the picker, then waits for the answer's
/// first row to be in the DOM and two frames to be drawn; milliseconds.
async fn picker_search_ms(app: &App, query: &str, expect_first: &str) -> f64 {
    let script = r#"
        const [query, first, done] = arguments;
        const input = document.querySelector('[data-testid=picker-search]');
        const t0 = performance.now();
        input.value = query;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        const check = () => {
          const total = document.querySelector('[data-testid=picker-total]');
          const row = document.querySelector('[data-testid=picker-row][data-key]:not([data-key=""])');
          if (total && total.dataset.query === query && total.dataset.loading === 'false' && row && row.dataset.key.endsWith(first)) {
            requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
          } else {
            requestAnimationFrame(check);
          }
        };
        check();
    "#;
    let value = app
        .client
        .execute_async(script, vec![query.into(), expect_first.into()])
        .await
        .expect("picker timing");
    value.as_f64().expect("milliseconds")
}

#[tokio::test]
#[ignore = "benchmark: run by scripts/bench-desktop.sh"]
async fn admin_bench_start_memory_and_picker_search() {
    let portal = Portal::start().await;
    seed_directory(&portal);
    portal.cli(&["principals", "add", "user:user00001"], None);
    let session = DesktopSession::start();
    let data = portal.data_dir().to_string_lossy().into_owned();
    let env = [
        ("TWOFOLD_ADMIN_URL", portal.admin_base.as_str()),
        ("TWOFOLD_DATA", data.as_str()),
        ("TWOFOLD_MODE", "admin"),
    ];

    // Start → live status, three runs (the first pays cold caches).
    for run in 1..=3 {
        let started = Instant::now();
        let app = App::start(&session, &env).await;
        app.find("[data-testid=two-factor-toggle]:not([disabled])").await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let timeline = page_timeline(&app.client, "twofold:admin-status").await;
        println!("timeline run{run}: {}", timeline.summary);
        bench(&format!("start_to_admin_status_run{run}"), elapsed, "ms (incl. WebDriver session)");
        if let Some(pid) = pid_of(&app_binary()) {
            let process_start = process_start_epoch_ms(pid);
            bench(
                &format!("process_start_to_status_run{run}"),
                timeline.mark_epoch_ms() - process_start,
                "ms (±10 ms: kernel start time in clock ticks)",
            );
        }
        if run < 3 {
            app.close().await;
            continue;
        }

        // Idle memory: status shown, nothing happening for 5 s.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let pid = pid_of(&app_binary()).expect("the app's process");
        report_tree_memory("twofold_tree", pid);

        // Picker over 10,000 entries.
        app.click("[data-testid=principals-add]").await;
        app.find("[data-testid=picker-total][data-total='10000']").await;
        for (query, first) in [
            ("user0", "user00001"),
            ("group01", "group0100"),
            ("user08999", "user08999"),
            ("9", "group0009"),
            ("", "group0001"),
        ] {
            let ms = picker_search_ms(&app, query, first).await;
            bench(
                &format!("picker_search_{}", if query.is_empty() { "all" } else { query }),
                ms,
                "ms (incl. 120 ms debounce)",
            );
        }
        // Scrolling to the middle of 10,000: rows there are fetched and drawn.
        let scrolled = app
            .client
            .execute_async(
                r#"const done = arguments[0];
                   const list = document.querySelector('[data-testid=picker-list]');
                   const t0 = performance.now();
                   list.scrollTop = 5000 * 40;
                   list.dispatchEvent(new Event('scroll'));
                   const check = () => {
                     const row = document.querySelector('#picker-row-5000');
                     if (row && row.dataset.key) requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - t0)));
                     else requestAnimationFrame(check);
                   };
                   check();"#,
                vec![],
            )
            .await
            .expect("scroll timing");
        bench("picker_scroll_to_row_5000", scrolled.as_f64().unwrap_or(f64::NAN), "ms");
        let rows = app
            .client
            .execute("return document.querySelectorAll('[data-testid=picker-row]').length", vec![])
            .await
            .expect("rows");
        println!("picker rows in the DOM out of 10000: {rows}");
        app.close().await;
    }

    // The peers, measured the same way in the same session.
    report_peers(&session).await;
}
