//! A small pool of PostgreSQL connections for a synchronous store.
//!
//! The store's traits are synchronous and the portal calls them from Tokio's blocking threads
//! and, in a few admin handlers, straight from its async workers. The sync `postgres` crate
//! cannot serve the second caller: each of its clients runs a runtime of its own and panics
//! when called where a runtime is already running. So the store uses `tokio-postgres`: each
//! connection's socket task runs on a two-thread runtime the store owns, and a call drives the
//! client's future on the caller's own thread with `futures_executor::block_on`, which works
//! on any thread and never nests a Tokio runtime. The cost of that hand-off was measured
//! against the sync crate (docs/BENCHMARKS.md).
//!
//! What it leaves out: health checks of idle connections. A connection the server closed is
//! noticed by the call that uses it (it fails with a temporary error, the portal answers 503)
//! and is then dropped rather than returned, so the next call opens a fresh one: the store
//! recovers by itself once the server is back.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

/// How the connections talk to the server.
#[derive(Clone)]
pub(crate) enum Tls {
    None,
    Rustls(MakeRustlsConnect),
}

pub(crate) struct Pool {
    config: tokio_postgres::Config,
    tls: Tls,
    /// `Option` only so `Drop` can shut it down without blocking (dropping a runtime inside
    /// another one's async context panics).
    runtime: Option<tokio::runtime::Runtime>,
    state: Mutex<PoolState>,
    freed: Condvar,
    max: usize,
    wait: Duration,
}

struct PoolState {
    idle: Vec<Client>,
    /// Connections open or being opened, idle or lent.
    open: usize,
}

/// A lent connection; back to the pool on drop unless the server closed it.
pub(crate) struct Conn<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Conn<'_> {
    pub(crate) fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("a lent connection holds its client until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        match self.client.take() {
            Some(client) if !client.is_closed() => state.idle.push(client),
            _ => state.open -= 1,
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}

impl Pool {
    pub(crate) fn new(
        config: tokio_postgres::Config,
        tls: Tls,
        max: usize,
        wait: Duration,
    ) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("twofold-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Invalid {
                what: "PostgreSQL runtime",
                reason: e.to_string(),
            })?;
        Ok(Pool {
            config,
            tls,
            runtime: Some(runtime),
            state: Mutex::new(PoolState { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
            max: max.max(1),
            wait,
        })
    }

    /// A panic while holding the lock leaves only counts behind; take the lock over.
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle connection, a new one while fewer than `max` are open, or else the first to be
    /// freed within the pool's wait ([`StoreError::PoolTimeout`] after it).
    pub(crate) fn get(&self) -> Result<Conn<'_>, StoreError> {
        let deadline = Instant::now() + self.wait;
        let mut state = self.lock();
        loop {
            while let Some(client) = state.idle.pop() {
                if client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Conn { pool: self, client: Some(client) });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(client) => Ok(Conn { pool: self, client: Some(client) }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StoreError::PoolTimeout { waited: self.wait });
            }
            state = self.freed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Runs `f` on the caller's thread (see the module docs).
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        futures_executor::block_on(f)
    }

    /// Opens one connection; its socket task runs on the pool's runtime until the client is
    /// dropped or the server closes it.
    fn connect(&self) -> Result<Client, StoreError> {
        let config = self.config.clone();
        let tls = self.tls.clone();
        let runtime = self.runtime.as_ref().expect("the runtime lives until the pool is dropped");
        let task = runtime.spawn(async move {
            match tls {
                Tls::None => {
                    let (client, connection) = config.connect(NoTls).await?;
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    Ok::<_, tokio_postgres::Error>(client)
                }
                Tls::Rustls(tls) => {
                    let (client, connection) = config.connect(tls).await?;
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    Ok(client)
                }
            }
        });
        match futures_executor::block_on(task) {
            Ok(connected) => Ok(connected?),
            // The connecting task panicked or the runtime is shutting down: nothing to retry now.
            Err(_) => Err(StoreError::PoolTimeout { waited: self.wait }),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Clients first, so their socket tasks see the end; then the runtime, without waiting.
        self.lock().idle.clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
