//! Another authenticator app's internal SQLite database (Google Authenticator, Microsoft
//! Authenticator, Stratum), read for the importer. The core maps the tables to accounts
//! ([`twofold_core::import::app_databases`]); this reads them. SQLite opens files, so the bytes
//! go to a temporary file of this user's (0600, removed when done) that is opened read-only,
//! never in the file the user chose: a database left mid-transaction is not "repaired" in
//! place.

use twofold_core::import::app_databases::{Table, Value};
use twofold_core::import::{ImportError, ImportReport};

use super::error::AuthError;

/// The 16 bytes every SQLite 3 database starts with.
const HEADER: &[u8] = b"SQLite format 3\0";

pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER)
}

/// Imports the accounts of the database in `bytes`.
pub fn import(bytes: &[u8]) -> Result<ImportReport, AuthError> {
    let tables = read_tables(bytes).map_err(|reason| ImportError::UnreadableDatabase { reason })?;
    Ok(twofold_core::import::app_databases::import(&tables)?)
}

fn read_tables(bytes: &[u8]) -> Result<Vec<Table>, String> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("twofold-import-")
        .suffix(".db")
        .tempfile()
        .map_err(|e| format!("a temporary copy cannot be made: {e}"))?;
    file.write_all(bytes)
        .and_then(|_| file.flush())
        .map_err(|e| format!("a temporary copy cannot be written: {e}"))?;
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db =
        rusqlite::Connection::open_with_flags(file.path(), flags).map_err(|e| e.to_string())?;
    let names: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    names
        .into_iter()
        .map(|name| read_table(&db, name))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

fn read_table(db: &rusqlite::Connection, name: String) -> rusqlite::Result<Table> {
    // The name comes from sqlite_master; quoting it (doubling any quote) keeps it one name.
    let mut statement = db.prepare(&format!("SELECT * FROM \"{}\"", name.replace('"', "\"\"")))?;
    let columns: Vec<String> = statement.column_names().iter().map(|c| c.to_string()).collect();
    let width = columns.len();
    let rows = statement
        .query_map([], |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => Value::Integer(n),
                        rusqlite::types::ValueRef::Text(t) => {
                            Value::Text(String::from_utf8_lossy(t).into_owned())
                        }
                        _ => Value::Other,
                    })
                })
                .collect()
        })?
        .collect::<rusqlite::Result<Vec<Vec<Value>>>>()?;
    Ok(Table { name, columns, rows })
}
