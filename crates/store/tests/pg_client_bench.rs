//! The measurement behind the PostgreSQL client choice (docs/BENCHMARKS.md): one primary-key
//! read and one compare-and-set update, each timed per call, through
//! (a) the sync `postgres` crate on its own connection, (b) the store (tokio-postgres with
//! its pool, driven from the caller's thread), and (c) the SQLite store beside them.
//!
//! Ignored by default: a benchmark prints figures and asserts nothing about time. Run:
//! `cargo test -p twofold-store --test pg_client_bench -- --ignored --nocapture`

use std::time::{Duration, Instant};

use twofold_core::{Secret, VerifierState};
use twofold_store::*;

mod common;

const NOW: i64 = 1_700_000_000;
const CALLS: usize = 5_000;

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{label:<44} p50 {:>6.1} µs   p99 {:>6.1} µs",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
}

fn timed(mut f: impl FnMut(usize)) -> Vec<Duration> {
    (0..CALLS)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect()
}

fn prepare(store: &dyn Store) -> VerifierState {
    store.add_user("alice", "hash", "bench", NOW).unwrap();
    let secret = Secret::from_bytes(vec![1; 20]).unwrap();
    store.issue_pending("alice", &secret, b"owner", NOW).unwrap();
    store.activate("alice", &secret, b"owner", 1, NOW).unwrap();
    store.enrollment("alice").unwrap().unwrap().verifier
}

fn cas_rounds(store: &dyn Store, mut state: VerifierState) -> Vec<Duration> {
    timed(|i| {
        let next = VerifierState { last_accepted_step: Some(2 + i as u64), ..state };
        assert!(store.update_verifier("alice", &state, &next, None, NOW).unwrap());
        state = next;
    })
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn pg_client_round_trips() {
    let Some((fixture, store)) = common::postgres() else { return };
    let state = prepare(&store);
    println!("{CALLS} calls each, one thread, PostgreSQL 15 on 127.0.0.1 (fsync=off)");

    let mut sync = common::pg_client(&fixture.server, "twofold");
    let read = sync
        .prepare("SELECT name, password_hash, last_sign_in FROM users WHERE name = $1")
        .unwrap();
    report(
        "sync postgres crate: read (prepared)",
        timed(|_| {
            sync.query_one(&read, &[&"alice"]).unwrap();
        }),
    );
    report(
        "sync postgres crate: read (unprepared)",
        timed(|_| {
            sync.query_one(
                "SELECT name, password_hash, last_sign_in FROM users WHERE name = $1",
                &[&"alice"],
            )
            .unwrap();
        }),
    );
    report(
        "store (tokio-postgres + pool): user()",
        timed(|_| {
            store.user("alice").unwrap();
        }),
    );
    let state = {
        let times = cas_rounds(&store, state);
        report("store (tokio-postgres + pool): update_verifier()", times);
        store.enrollment("alice").unwrap().unwrap().verifier
    };
    let mut step = state.last_accepted_step.unwrap();
    report(
        "sync postgres crate: the same CAS in a transaction",
        timed(|_| {
            let mut tx = sync.transaction().unwrap();
            tx.execute(
                "UPDATE enrollments SET last_step = $2, updated = $3
                  WHERE user_name = $1 AND last_step IS NOT DISTINCT FROM $4",
                &[&"alice", &((step + 1) as i64), &NOW, &(step as i64)],
            )
            .unwrap();
            tx.commit().unwrap();
            step += 1;
        }),
    );

    let (_dir, sqlite) = common::sqlite().unwrap();
    let state = prepare(&sqlite);
    report(
        "SQLite store: user()",
        timed(|_| {
            sqlite.user("alice").unwrap();
        }),
    );
    report("SQLite store: update_verifier()", cas_rounds(&sqlite, state));
}
