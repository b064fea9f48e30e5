//! Copying a SQLite data directory into an empty PostgreSQL database, then checking the copy:
//! every table read back from both sides and compared row by row, and every enrolled secret
//! opened through the PostgreSQL store.
//!
//! Sealed secrets are copied as they are: they stay encrypted with the directory's
//! `secrets.key`, which every server on the database then needs (the copy's check value is
//! made from that same key). Nothing is decrypted except by the final check, which keeps
//! what it opens in zeroizing memory and drops it at once.
//!
//! What it leaves out: merging into a database that already holds a directory (refused), and
//! copying the other way.

use std::path::Path;

use tokio_postgres::types::ToSql;

use crate::sqlite::KEY_CHECK_SETTING;
use crate::{EnrollmentRepo, PgOptions, PostgresStore, SqliteStore, StoreError};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Blob,
    Bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
    Bool(bool),
}

use Kind::*;

/// Every table, parents before children (foreign keys), with its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("name", Text),
            ("password_hash", Text),
            ("created", Int),
            ("last_sign_in", Int),
            ("directory_id", Text),
        ],
    ),
    ("groups", &[("name", Text), ("created", Int), ("directory_id", Text)]),
    ("memberships", &[("group_name", Text), ("user_name", Text)]),
    ("settings", &[("key", Text), ("value", Text)]),
    ("principals", &[("kind", Text), ("name", Text), ("added", Int)]),
    (
        "enrollments",
        &[
            ("user_name", Text),
            ("state", Text),
            ("secret", Blob),
            ("last_step", Int),
            ("failures", Int),
            ("locked_until", Int),
            ("updated", Int),
            ("owner", Blob),
            ("locks", Int),
        ],
    ),
    (
        "sessions",
        &[
            ("id_hash", Blob),
            ("user_name", Text),
            ("stage", Text),
            ("created", Int),
            ("expires", Int),
            ("two_factor", Bool),
        ],
    ),
    ("address_failures", &[("address", Text), ("failures", Int), ("window_start", Int)]),
    (
        "audit",
        &[
            ("id", Int),
            ("at", Int),
            ("actor", Text),
            ("action", Text),
            ("subject", Text),
            ("detail", Text),
        ],
    ),
];

/// Rows copied per table, in [`TABLES`] order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, usize)>,
    /// Enrolled secrets opened through the PostgreSQL store after the copy.
    pub secrets_opened: usize,
}

/// The key check value is the target's own (made from the same key when it opened), so it is
/// neither copied nor compared.
fn skipped(table: &str, row: &[Value]) -> bool {
    table == "settings" && row.first() == Some(&Value::Text(KEY_CHECK_SETTING.to_string()))
}

fn read_sqlite(
    store: &SqliteStore,
    table: &str,
    columns: &[(&str, Kind)],
) -> Result<Vec<Vec<Value>>, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let sql = format!("SELECT {} FROM {table}", names.join(", "));
    store.with(|conn| {
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Int => r.get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
                            Text => r.get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
                            Blob => {
                                r.get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Blob)
                            }
                            Bool => r
                                .get::<_, Option<i64>>(i)?
                                .map_or(Value::Null, |v| Value::Bool(v != 0)),
                        })
                    })
                    .collect::<Result<Vec<_>, rusqlite::Error>>()
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}

fn read_postgres(
    store: &PostgresStore,
    table: &str,
    columns: &[(&str, Kind)],
) -> Result<Vec<Vec<Value>>, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let sql = format!("SELECT {} FROM {table}", names.join(", "));
    store.with(async |c| {
        let rows = c.query(&sql, &[]).await?;
        rows.iter()
            .map(|r| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind {
                            Int => r.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
                            Text => {
                                r.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text)
                            }
                            Blob => {
                                r.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Value::Null, Value::Blob)
                            }
                            Bool => {
                                r.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, Value::Bool)
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .collect()
    })
}

/// A value as a typed parameter (a NULL needs its column's type).
fn param(value: &Value, kind: Kind) -> Box<dyn ToSql + Sync + Send> {
    match (value, kind) {
        (Value::Int(v), _) => Box::new(*v),
        (Value::Text(v), _) => Box::new(v.clone()),
        (Value::Blob(v), _) => Box::new(v.clone()),
        (Value::Bool(v), _) => Box::new(*v),
        (Value::Null, Int) => Box::new(None::<i64>),
        (Value::Null, Text) => Box::new(None::<String>),
        (Value::Null, Blob) => Box::new(None::<Vec<u8>>),
        (Value::Null, Bool) => Box::new(None::<bool>),
    }
}

/// Copies the data directory `from` (its database and `secrets.key`) into the empty database
/// `to`, in one transaction, then verifies the copy. `from` is opened as the portal would
/// open it (schema brought up to date, key checked) and is otherwise only read.
pub fn copy_sqlite_to_postgres(from: &Path, to: &PgOptions) -> Result<CopyReport, StoreError> {
    let source = SqliteStore::open(from)?;
    // The source's own key file unlocks the target: the target gets a check value for it.
    let target = PostgresStore::open(to, from)?;
    let mut data = Vec::new();
    for (table, columns) in TABLES {
        let mut rows = read_sqlite(&source, table, columns)?;
        rows.retain(|row| !skipped(table, row));
        data.push(rows);
    }
    let tables = target.write(async |tx| {
        let occupied: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM groups)
                     OR EXISTS (SELECT 1 FROM enrollments) OR EXISTS (SELECT 1 FROM audit)
                     OR EXISTS (SELECT 1 FROM settings WHERE key <> $1)",
                &[&KEY_CHECK_SETTING],
            )
            .await?
            .try_get(0)?;
        if occupied {
            return Err(StoreError::Invalid {
                what: "target database",
                reason: format!("{} already holds a directory; copy into an empty database", to.shown()),
            });
        }
        let mut counts = Vec::new();
        for ((table, columns), rows) in TABLES.iter().zip(&data) {
            let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
            let statement = tx.prepare(&sql).await?;
            for row in rows {
                let params: Vec<Box<dyn ToSql + Sync + Send>> =
                    row.iter().zip(columns.iter()).map(|(v, (_, kind))| param(v, *kind)).collect();
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
                tx.execute(&statement, &refs).await?;
            }
            counts.push((*table, rows.len()));
        }
        // Audit ids were copied; new entries continue after them.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('audit', 'id'), GREATEST((SELECT max(id) FROM audit), 1))",
            &[],
        )
        .await?;
        Ok(counts)
    })?;

    for ((table, columns), mut expected) in TABLES.iter().zip(data) {
        let mut copied = read_postgres(&target, table, columns)?;
        copied.retain(|row| !skipped(table, row));
        expected.sort();
        copied.sort();
        if copied != expected {
            return Err(StoreError::Invalid {
                what: "copy",
                reason: format!(
                    "table {table} differs after the copy ({} rows read back)",
                    copied.len()
                ),
            });
        }
    }
    let mut secrets_opened = 0;
    for summary in target.enrollment_summaries()? {
        // Decrypting proves the key and each row's user name (the associated data) survived.
        if target.enrollment(&summary.user)?.is_some() {
            secrets_opened += 1;
        }
    }
    Ok(CopyReport { tables, secrets_opened })
}
