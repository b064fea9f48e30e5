//! The Admin mode's "Select Users or Groups" picker over a real OpenLDAP directory of 10,000
//! users and 50 groups (loaded offline by `slapadd`), driven through tauri-driver against a
//! `twofold-portal serve --config` process on it. Queries are typed letter by letter, as an
//! admin types them; after each keystroke the list must show what `ldapsearch` finds for the
//! same query (groups first, in the directory's order, a page of 100 and a sign of more), more
//! rows are fetched by scrolling, and a chosen directory user becomes a principal.
//!
//! Each keystroke's time to results (from the key event in the page to the answer's rows in
//! the DOM and two frames drawn, so including the picker's 120 ms debounce) is printed as
//! `BENCH` lines for docs/BENCHMARKS.md; nothing is asserted about it.

#[path = "../../crates/portal/tests/ldap_support/mod.rs"]
mod ldap_support;

use fantoccini::key::Key;
use serde_json::Value;
use twofold_e2e::app::{driven_app_tools_present, App};
use twofold_e2e::desktop_session::DesktopSession;
use twofold_e2e::Portal;

const USERS: usize = 10_000;
const GROUPS: usize = 50;
/// Rows per request of the picker (ui/src/lib/logic/pagedSearch.ts).
const PAGE: usize = 100;

/// user0000…user9999 (cn "Person NNNN", so only the uid matches "user…"), and team00…team49,
/// each with 20 of them as members.
fn directory_ldif() -> String {
    let mut ldif = String::with_capacity(USERS * 130);
    for i in 0..USERS {
        ldif.push_str(&format!(
            "dn: uid=user{i:04},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\n\
             uid: user{i:04}\ncn: Person {i:04}\nsn: P\n\n"
        ));
    }
    for g in 0..GROUPS {
        ldif.push_str(&format!(
            "dn: cn=team{g:02},ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: team{g:02}\n"
        ));
        for m in 0..20 {
            ldif.push_str(&format!(
                "member: uid=user{:04},ou=people,dc=example,dc=com\n",
                g * 20 + m
            ));
        }
        ldif.push('\n');
    }
    ldif
}

/// What the picker should list for `query`, from `ldapsearch`: the groups whose name contains
/// it, then the users whose name or display name does (the OpenLDAP preset's attributes).
fn expected(slapd: &ldap_support::Slapd, query: &str) -> Vec<String> {
    let has = |attr: &str| {
        if query.is_empty() {
            format!("({attr}=*)")
        } else {
            format!("({attr}=*{query}*)")
        }
    };
    let groups = slapd.search_values(&format!("(&(objectClass=groupOfNames){})", has("cn")), "cn");
    let users = slapd.search_values(
        &format!("(&(objectClass=inetOrgPerson)(|{}{}))", has("uid"), has("cn")),
        "uid",
    );
    groups
        .iter()
        .map(|g| format!("group:{g}"))
        .chain(users.iter().map(|u| format!("user:{u}")))
        .collect()
}

/// The picker's state: (query answered, total, loading, [(row index, key)] of the rows in the DOM).
async fn picker_state(app: &App) -> (String, usize, bool, Vec<(usize, String)>) {
    let state = app
        .client
        .execute(
            "const t = document.querySelector('[data-testid=picker-total]');
             const rows = [...document.querySelectorAll('[data-testid=picker-row]')]
               .map(r => [Number(r.id.replace('picker-row-', '')), r.dataset.key]);
             return [t.dataset.query, t.dataset.total, t.dataset.loading, rows];",
            vec![],
        )
        .await
        .expect("picker state");
    let rows = state[3]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r[0].as_u64().expect("index") as usize, r[1].as_str().unwrap_or("").to_string()))
        .collect();
    let total = state[1].as_str().and_then(|t| t.parse().ok()).expect("a total");
    (state[0].as_str().unwrap_or("").to_string(), total, state[2] == "true", rows)
}

/// Asserts the picker shows the answer for `query`: the total (the matches, or one page and
/// a sign of more) and every drawn row the entry `ldapsearch` has at that index.
async fn assert_shows(app: &App, slapd: &ldap_support::Slapd, query: &str, loaded: usize) {
    let want = expected(slapd, query);
    let (shown_query, total, loading, rows) = picker_state(app).await;
    assert_eq!(shown_query, query);
    assert!(!loading, "{query:?}: still loading");
    let total_wanted = if want.len() > loaded { loaded + 1 } else { want.len() };
    assert_eq!(total, total_wanted, "{query:?}: total for {} matches", want.len());
    let drawn: Vec<&(usize, String)> = rows.iter().filter(|(i, _)| *i < loaded).collect();
    assert!(!drawn.is_empty() || want.is_empty(), "{query:?}: no rows drawn");
    for (index, key) in drawn {
        assert_eq!(Some(key), want.get(*index), "{query:?}: row {index}");
    }
}

/// Sends one key to the search field and returns the milliseconds from its key event in the
/// page to the answer for `query` drawn (rows in the DOM, two frames). Both ends are taken in
/// the page, by a watcher armed before the key is sent, so WebDriver's own round trips do not
/// count.
async fn keystroke_ms(
    app: &App,
    field: &fantoccini::elements::Element,
    key: &str,
    query: &str,
) -> f64 {
    app.client
        .execute(
            "const query = arguments[0];
             window.__keyAt = undefined;
             window.__drawnAt = undefined;
             const field = document.querySelector('[data-testid=picker-search]');
             const mark = () => { if (window.__keyAt === undefined) window.__keyAt = performance.now(); };
             field.addEventListener('keydown', mark, { once: true, capture: true });
             field.addEventListener('input', mark, { once: true, capture: true });
             const watch = () => {
               const t = document.querySelector('[data-testid=picker-total]');
               const row = document.querySelector('#picker-row-0');
               const answered = window.__keyAt !== undefined && t && t.dataset.query === query
                 && t.dataset.loading === 'false' && t.dataset.total !== ''
                 && (t.dataset.total === '0' || (row && row.dataset.key));
               if (answered) {
                 requestAnimationFrame(() => requestAnimationFrame(() => { window.__drawnAt = performance.now(); }));
               } else {
                 requestAnimationFrame(watch);
               }
             };
             watch();",
            vec![Value::from(query)],
        )
        .await
        .expect("arm the key timer");
    field.send_keys(key).await.expect("type into the picker");
    let waited = app
        .client
        .execute_async(
            "const done = arguments[0];
             const wait = () => window.__drawnAt === undefined
               ? requestAnimationFrame(wait)
               : done(window.__drawnAt - window.__keyAt);
             wait();",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("no answer for {query:?} in the picker: {e}"));
    waited.as_f64().expect("milliseconds")
}

/// One keystroke making the query `query`: its time to results, then what the picker shows
/// checked against `ldapsearch`.
async fn keystroke(
    app: &App,
    slapd: &ldap_support::Slapd,
    field: &fantoccini::elements::Element,
    key: &str,
    query: &str,
) -> (String, f64) {
    let ms = keystroke_ms(app, field, key, query).await;
    assert_shows(app, slapd, query, PAGE).await;
    (query.to_string(), ms)
}

#[tokio::test]
async fn admin_picks_from_10000_ldap_entries_while_typing_and_sees_what_ldapsearch_finds() {
    let test = "admin_picks_from_10000_ldap_entries_while_typing_and_sees_what_ldapsearch_finds";
    if !driven_app_tools_present(test, &["ldapsearch"]) {
        return;
    }
    let loaded_at = std::time::Instant::now();
    let Some(slapd) = ldap_support::Slapd::start_with_entries(&directory_ldif()) else { return };
    println!("slapd with {USERS} users and {GROUPS} groups up in {:?}", loaded_at.elapsed());
    assert_eq!(expected(&slapd, "user").len(), USERS, "the directory is loaded");
    let config = slapd.config_file("timeout_seconds = 10\n");
    let portal = Portal::start_with_config(&config).await;
    let session = DesktopSession::start();
    let app = App::open_admin(&session, &portal).await;

    app.click("[data-testid=principals-add]").await;
    app.find("[data-testid=picker-total][data-query=''][data-loading=false]").await;
    assert_shows(&app, &slapd, "", PAGE).await;
    let field = app.find("[data-testid=picker-search]").await;

    let mut times = Vec::new();
    let mut typed = String::new();
    for c in "user0999".chars() {
        typed.push(c);
        times.push(keystroke(&app, &slapd, &field, &c.to_string(), &typed).await);
    }
    let (_, total, _, rows) = picker_state(&app).await;
    assert_eq!(total, 1, "user0999 matches one entry");
    assert_eq!(rows, vec![(0, "user:user0999".to_string())], "exactly that user");
    app.click("[data-testid=picker-row][data-key='user:user0999']").await;
    app.wait_for_text("[data-testid=picker-selected]", "1").await;

    while !typed.is_empty() {
        typed.pop();
        times.push(keystroke(&app, &slapd, &field, &Key::Backspace, &typed).await);
    }

    // All 10,053 entries match "": scrolled to the end of the first page, the next one is
    // fetched and drawn, and the list says there are more still.
    app.client
        .execute(
            "const list = document.querySelector('[data-testid=picker-list]');
             list.scrollTop = list.scrollHeight;
             list.dispatchEvent(new Event('scroll'));",
            vec![],
        )
        .await
        .expect("scroll the picker");
    app.find(&format!(
        "[data-testid=picker-total][data-total='{}'][data-loading=false]",
        2 * PAGE + 1
    ))
    .await;
    app.find(&format!("#picker-row-{}[data-key^=user]", PAGE + 1)).await;
    assert_shows(&app, &slapd, "", 2 * PAGE).await;
    let (_, _, _, rows) = picker_state(&app).await;
    assert!(
        rows.iter().any(|(i, k)| *i >= PAGE && !k.is_empty()),
        "rows of the second page drawn: {rows:?}"
    );

    for c in "team1".chars() {
        typed.push(c);
        times.push(keystroke(&app, &slapd, &field, &c.to_string(), &typed).await);
    }
    let (_, total, _, _) = picker_state(&app).await;
    assert_eq!(total, 10, "team10…team19");
    let counts = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=picker-row]')]
               .filter(r => /member/.test(r.textContent)).length",
            vec![],
        )
        .await
        .expect("member counts");
    assert_eq!(counts, 0, "the search does not count an LDAP group's members: no \"0 members\"");
    println!("picker: {}", app.screenshot("admin-picker-ldap-10000").await.display());

    // The user chosen before is still chosen; OK makes the directory user a principal.
    app.wait_for_text("[data-testid=picker-selected]", "1").await;
    app.click("[data-testid=picker-ok]").await;
    app.wait_until("!document.querySelector('[data-testid=picker]')", "the picker closes").await;
    let principals = portal.admin_get("/api/v1/principals").await.ok("principals");
    let names: Vec<&str> = principals["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["user0999"], "{principals}");
    app.close().await;

    for (query, ms) in &times {
        println!("BENCH picker_ldap_keystroke {ms:.1} ms (query {query:?})");
    }
    let mut sorted: Vec<f64> = times.iter().map(|(_, ms)| *ms).collect();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[(sorted.len() - 1) / 2] + sorted[sorted.len() / 2]) / 2.0;
    println!(
        "BENCH picker_ldap_keystroke_median {median:.1} ms over {} keystrokes (incl. 120 ms debounce)",
        sorted.len()
    );
    println!("BENCH picker_ldap_keystroke_max {:.1} ms", sorted[sorted.len() - 1]);

    // The share of the admin API (portal + slapd) in it: the same first pages asked directly.
    let mut api: Vec<f64> = Vec::new();
    for (query, _) in &times {
        let started = std::time::Instant::now();
        portal
            .admin_get(&format!("/api/v1/directory?q={query}&offset=0&limit={PAGE}"))
            .await
            .ok("search");
        api.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    api.sort_by(f64::total_cmp);
    println!(
        "BENCH picker_ldap_api_first_page_median {:.1} ms, max {:.1} ms (GET /api/v1/directory, same queries)",
        (api[(api.len() - 1) / 2] + api[api.len() / 2]) / 2.0,
        api[api.len() - 1]
    );
}
