//! What only a shared PostgreSQL store must do: several portal processes (here several
//! stores, each with its own connection pool) on one database agree on one state — a step is
//! accepted once whoever races for it, counts are never lost — the key file is the same on
//! every server or the server refuses, a stopped database is "unavailable" and the store
//! recovers when it is back, and a SQLite directory copies over intact.
//!
//! The suite both backends share is tests/store.rs and tests/audit_log.rs.

use std::sync::{Arc, Barrier};

use twofold_core::{Secret, VerifierState};
use twofold_store::*;

mod common;

const NOW: i64 = 1_700_000_000;
const OWNER: &[u8] = b"session-id-hash";

fn enrolled(store: &dyn Store, user: &str) -> VerifierState {
    store.add_user(user, "hash", "test", NOW).unwrap();
    let secret = Secret::from_bytes(vec![9; 20]).unwrap();
    store.issue_pending(user, &secret, OWNER, NOW).unwrap();
    store.activate(user, &secret, OWNER, 100, NOW).unwrap();
    store.enrollment(user).unwrap().unwrap().verifier
}

#[test]
fn two_servers_on_one_database_see_each_others_writes() {
    let Some((fixture, one)) = common::postgres() else { return };
    let two = fixture.open_again();
    two.add_user("dave", "hash", "cli", NOW).unwrap();
    two.set_two_factor_enabled(true, "cli", NOW).unwrap();
    assert!(one.user("DAVE").unwrap().is_some());
    assert!(one.two_factor_enabled().unwrap());
    assert_eq!(
        one.server_key("csrf", &[1; 32]).unwrap(),
        two.server_key("csrf", &[2; 32]).unwrap()
    );
}

#[test]
fn many_servers_opening_a_fresh_database_at_once_all_succeed() {
    let Some(server) = common::PgServer::start() else { return };
    server.create_database("fresh");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let options = server.options("fresh");
    let barrier = Arc::new(Barrier::new(6));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (options, data, barrier) = (options.clone(), data.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                PostgresStore::open(&options, &data).map(drop).map_err(|e| e.to_string())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let version: i64 = common::pg_client(&server, "fresh")
        .query_one("SELECT version FROM twofold_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 3);
}

#[test]
fn the_same_step_is_accepted_by_exactly_one_of_three_servers_racing_for_it() {
    let Some((fixture, first)) = common::postgres() else { return };
    let mut state = enrolled(&first, "alice");
    let servers: Vec<Arc<PostgresStore>> =
        vec![Arc::new(first), Arc::new(fixture.open_again()), Arc::new(fixture.open_again())];
    for round in 0..60u64 {
        let barrier = Arc::new(Barrier::new(servers.len()));
        let previous = state;
        let next = VerifierState { last_accepted_step: Some(101 + round), ..previous };
        let threads: Vec<_> = servers
            .iter()
            .map(|server| {
                let (server, barrier) = (server.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    server
                        .update_verifier(
                            "alice",
                            &previous,
                            &next,
                            Some(("signin.code", None)),
                            NOW,
                        )
                        .unwrap()
                })
            })
            .collect();
        let accepted = threads.into_iter().map(|t| t.join().unwrap()).filter(|a| *a).count();
        assert_eq!(accepted, 1, "round {round}: the same step accepted {accepted} times");
        state = servers[0].enrollment("alice").unwrap().unwrap().verifier;
        assert_eq!(state.last_accepted_step, Some(101 + round));
    }
    let accepted = servers[1]
        .audit(&AuditFilter { subject: Some("alice".into()), limit: 1000, ..Default::default() })
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "signin.code")
        .count();
    assert_eq!(accepted, 60, "one audit entry per accepted code, none for the losers");
}

#[test]
fn failures_counted_by_three_servers_at_once_are_never_lost() {
    let Some((fixture, first)) = common::postgres() else { return };
    enrolled(&first, "bob");
    let servers: Vec<Arc<PostgresStore>> =
        vec![Arc::new(first), Arc::new(fixture.open_again()), Arc::new(fixture.open_again())];
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = servers
        .iter()
        .map(|server| {
            let (server, barrier) = (server.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                for _ in 0..10 {
                    // What the portal does with a wrong code: read, count one more, compare-and-set,
                    // and read again when another server changed the state first.
                    loop {
                        let before = server.enrollment("bob").unwrap().unwrap().verifier;
                        let after = VerifierState {
                            consecutive_failures: before.consecutive_failures + 1,
                            ..before
                        };
                        if server.update_verifier("bob", &before, &after, None, NOW).unwrap() {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(servers[2].enrollment("bob").unwrap().unwrap().verifier.consecutive_failures, 30);
}

#[test]
fn reserved_attempts_from_three_servers_at_once_stop_at_the_limit() {
    let Some((fixture, first)) = common::postgres() else { return };
    let servers: Vec<Arc<PostgresStore>> =
        vec![Arc::new(first), Arc::new(fixture.open_again()), Arc::new(fixture.open_again())];
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = servers
        .iter()
        .map(|server| {
            let (server, barrier) = (server.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                (0..10)
                    .filter(|_| server.reserve_attempt("user:carol", 5, NOW, 900).unwrap())
                    .count()
            })
        })
        .collect();
    let reserved: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(reserved, 5);
}

#[test]
fn a_server_without_the_key_file_refuses_to_open_a_database_with_secrets() {
    let Some((fixture, store)) = common::postgres() else { return };
    enrolled(&store, "alice");
    let elsewhere = tempfile::tempdir().unwrap();
    let err = PostgresStore::open(&fixture.options(), &elsewhere.path().join("data"))
        .err()
        .expect("must refuse");
    assert!(matches!(err, StoreError::SharedKeyMissing { .. }), "{err}");
    assert!(err.to_string().contains("copy secrets.key"), "{err}");
    assert!(!elsewhere.path().join("data/secrets.key").exists(), "no new key is made");
}

#[test]
fn a_server_with_another_key_file_refuses_to_open() {
    let Some((fixture, store)) = common::postgres() else { return };
    drop(store);
    let other = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(&other.path().join("data")).unwrap());
    let err = PostgresStore::open(&fixture.options(), &other.path().join("data"))
        .err()
        .expect("must refuse");
    assert!(matches!(err, StoreError::SharedKeyMismatch { .. }), "{err}");
}

#[test]
fn secrets_are_sealed_in_the_database() {
    let Some((fixture, store)) = common::postgres() else { return };
    store.add_user("alice", "hash", "test", NOW).unwrap();
    let known = Secret::from_bytes(b"this-is-a-known-sec!".to_vec()).unwrap();
    store.issue_pending("alice", &known, OWNER, NOW).unwrap();
    let sealed: Vec<u8> = common::pg_client(&fixture.server, "twofold")
        .query_one("SELECT secret FROM enrollments", &[])
        .unwrap()
        .get(0);
    assert!(!sealed.windows(20).any(|w| w == known.as_bytes()), "plain secret stored");
    assert_eq!(store.enrollment("alice").unwrap().unwrap().secret.as_bytes(), known.as_bytes());
}

#[test]
fn a_stopped_database_is_unavailable_and_the_store_recovers_when_it_is_back() {
    let Some((fixture, store)) = common::postgres() else { return };
    store.add_user("alice", "hash", "test", NOW).unwrap();
    fixture.server.stop();
    let err = store.user("alice").expect_err("the database is down");
    assert_eq!(unavailable(&err), Some(Unavailable::Unreachable), "{err}");
    let err = store.set_two_factor_enabled(true, "admin", NOW).expect_err("the database is down");
    assert_eq!(unavailable(&err), Some(Unavailable::Unreachable), "{err}");
    let err = PostgresStore::open(&fixture.options(), &fixture.data()).err().expect("cannot open");
    assert_eq!(unavailable(&err), Some(Unavailable::Unreachable), "{err}");
    fixture.server.restart();
    // A pooled connection the shutdown closed is dropped by the call that finds it.
    let back = (0..3).find_map(|_| store.user("alice").ok());
    assert_eq!(back.flatten().map(|u| u.name).as_deref(), Some("alice"));
}

#[test]
fn a_refused_statement_is_not_called_unavailable() {
    let Some((_fixture, store)) = common::postgres() else { return };
    // A session for a user who does not exist breaks a foreign key: a bug, not an outage.
    let err =
        store.create_session(b"id", "ghost", SessionStage::Code, false, NOW, NOW + 60).unwrap_err();
    assert_eq!(unavailable(&err), None, "{err}");
}

#[test]
fn the_password_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "s3cret\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = PgOptions::parse("postgres://u@h/db", Some(&file), &|_| None).unwrap_err();
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let options = PgOptions::parse("postgres://u@h/db", Some(&file), &|_| None).unwrap();
    assert!(!format!("{options:?} {}", options.shown()).contains("s3cret"));
}

#[test]
fn pg_variables_fill_in_what_the_url_leaves_out() {
    let env = |name: &str| match name {
        "PGHOST" => Some("db.example".to_string()),
        "PGPORT" => Some("5433".to_string()),
        "PGUSER" => Some("portal".to_string()),
        "PGDATABASE" => Some("twofold".to_string()),
        "PGPASSWORD" => Some("from-env".to_string()),
        _ => None,
    };
    let options = PgOptions::parse("postgres://", None, &env).unwrap();
    assert_eq!(options.shown(), "postgres://portal@db.example:5433/twofold");
    let explicit = PgOptions::parse("postgres://me@here:6000/mine", None, &env).unwrap();
    assert_eq!(explicit.shown(), "postgres://me@here:6000/mine");
    assert!(!format!("{explicit:?}").contains("from-env"));
}

#[test]
fn bad_store_urls_are_clear_errors() {
    for bad in ["mysql://x/y", "postgres://u@h/db?sslmode=sometimes", "postgres://u@h:notaport/db"]
    {
        let err = PgOptions::parse(bad, None, &|_| None).unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{bad}: {err}");
    }
}

#[test]
fn a_sqlite_directory_copied_to_postgres_reads_the_same() {
    let Some((sqlite_fixture, source)) = common::sqlite() else { return };
    let state = enrolled(&source, "alice");
    source.add_group("finance", "test", NOW).unwrap();
    source.add_member("finance", "alice", "test", NOW).unwrap();
    source
        .add_principals(
            &[twofold_core::Principal::Group("finance".into())],
            &|_, _| Ok(()),
            "admin",
            NOW,
        )
        .unwrap();
    source.set_two_factor_enabled(true, "admin", NOW).unwrap();
    source.create_session(b"sess", "alice", SessionStage::SignedIn, true, NOW, NOW + 600).unwrap();
    source.record_address_failure("10.0.0.1", NOW, 60).unwrap();
    let csrf = source.server_key("csrf", &[3; 32]).unwrap();
    let audit_before = source.audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
    drop(source);

    let Some(server) = common::PgServer::start() else { return };
    server.create_database("copy");
    let report = copy_sqlite_to_postgres(&sqlite_fixture.data(), &server.options("copy")).unwrap();
    assert_eq!(report.secrets_opened, 1);
    assert!(report.tables.contains(&("users", 1)));

    // A server on the copy, with the directory's key file distributed to it.
    let server_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(server_dir.path().join("data")).unwrap();
    std::fs::copy(
        sqlite_fixture.data().join("secrets.key"),
        server_dir.path().join("data/secrets.key"),
    )
    .unwrap();
    let copy =
        PostgresStore::open(&server.options("copy"), &server_dir.path().join("data")).unwrap();
    let enrollment = copy.enrollment("ALICE").unwrap().unwrap();
    assert_eq!(enrollment.secret.as_bytes(), &[9; 20]);
    assert_eq!(enrollment.verifier, state);
    assert_eq!(copy.covered_users().unwrap(), vec!["alice".to_string()]);
    assert!(copy.two_factor_enabled().unwrap());
    assert!(copy.session(b"sess", NOW).unwrap().unwrap().two_factor);
    assert_eq!(copy.address_failures("10.0.0.1", NOW, 60).unwrap(), 1);
    assert_eq!(copy.server_key("csrf", &[4; 32]).unwrap(), csrf);
    assert_eq!(
        copy.audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap(),
        audit_before
    );
    // New audit entries continue after the copied ids.
    copy.append_audit(NewAuditEntry {
        at: NOW,
        actor: "t",
        action: "x",
        subject: None,
        detail: None,
    })
    .unwrap();
    let newest = copy.audit(&AuditFilter { limit: 1, ..Default::default() }).unwrap();
    assert!(newest[0].id > audit_before[0].id);

    let err = copy_sqlite_to_postgres(&sqlite_fixture.data(), &server.options("copy")).unwrap_err();
    assert!(err.to_string().contains("already holds a directory"), "{err}");
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, made with `openssl`.
fn test_certificates(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"]
        .iter()
        .chain(&["-days", "2", "-subj", "/CN=twofold test CA"])
        .copied()
        .collect::<Vec<_>>());
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr"]
        .iter()
        .chain(&["-subj", "/CN=127.0.0.1"])
        .copied()
        .collect::<Vec<_>>());
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
}

#[test]
fn sslmode_require_with_a_ca_file_connects_over_tls_and_refuses_another_ca() {
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        common::missing("openssl");
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    test_certificates(certs.path());
    let other = tempfile::tempdir().unwrap();
    test_certificates(other.path());
    // The server accepts TLS connections only (hostssl): a store that connects at all used TLS.
    let Some(server) = common::PgServer::start_with(|data| {
        std::fs::copy(certs.path().join("server.pem"), data.join("server.pem")).unwrap();
        std::fs::copy(certs.path().join("server.key"), data.join("server.key")).unwrap();
        let conf = "\nssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n";
        let mut settings = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        settings.push_str(conf);
        std::fs::write(data.join("postgresql.conf"), settings).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
    }) else {
        return;
    };
    server.create_database("tls");
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("tls");
    let with_ca = |ca: &std::path::Path| {
        PgOptions::parse(
            &format!("{url}?sslmode=require&sslrootcert={}", ca.display()),
            None,
            &|_| None,
        )
        .unwrap()
    };
    let store =
        PostgresStore::open(&with_ca(&certs.path().join("ca.pem")), &dir.path().join("data"))
            .expect("TLS with the server's CA");
    store.add_user("alice", "hash", "test", NOW).unwrap();
    assert!(store.user("alice").unwrap().is_some());

    let err = PostgresStore::open(&with_ca(&other.path().join("ca.pem")), &dir.path().join("data"))
        .err()
        .expect("another CA must not be trusted");
    assert!(matches!(err, StoreError::Postgres(_)), "{err}");
    let plain = PgOptions::parse(&url, None, &|_| None).unwrap();
    assert!(PostgresStore::open(&plain, &dir.path().join("data")).is_err(), "no TLS, no entry");
}
