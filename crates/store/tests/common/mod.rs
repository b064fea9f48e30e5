//! Fixtures for the store tests: a temporary SQLite data directory, or a real PostgreSQL
//! server (`pg.rs`) with one database and the data directory (key file) of a portal on it.

#![allow(dead_code)]

use std::path::PathBuf;

use twofold_store::{PgOptions, PostgresStore, SqliteStore};

mod pg;
pub use pg::*;

pub struct SqliteFixture {
    pub dir: tempfile::TempDir,
}

impl SqliteFixture {
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

pub fn sqlite() -> Option<(SqliteFixture, SqliteStore)> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("data")).unwrap();
    Some((SqliteFixture { dir }, store))
}

/// A server with one database, and the data directory (key file) of one portal on it.
pub struct PgFixture {
    pub server: PgServer,
    pub dir: tempfile::TempDir,
}

impl PgFixture {
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn options(&self) -> PgOptions {
        self.server.options("twofold")
    }

    /// Another portal process on the same database with the same key file.
    pub fn open_again(&self) -> PostgresStore {
        PostgresStore::open(&self.options(), &self.data()).unwrap()
    }
}

pub fn postgres() -> Option<(PgFixture, PostgresStore)> {
    let server = PgServer::start()?;
    server.create_database("twofold");
    let dir = tempfile::tempdir().unwrap();
    let fixture = PgFixture { server, dir };
    let store = PostgresStore::open(&fixture.options(), &fixture.data()).unwrap();
    Some((fixture, store))
}

/// A plain client on `database`, to look at what the store wrote.
pub fn pg_client(server: &PgServer, database: &str) -> postgres::Client {
    postgres::Client::connect(
        &format!("host=127.0.0.1 port={} user={PG_USER} dbname={database}", server.port),
        postgres::NoTls,
    )
    .unwrap()
}
