//! Checking a password the way every entry point must (the sign-in page and the RDP gate):
//! counted before it is hashed, against the client address and against the account, with a
//! bounded number of Argon2 hashes running at once.
//!
//! Why in this order: an attempt counted only after its hash lets a burst of concurrent
//! guesses all run before any is counted, and every running hash holds 19 MiB. So the attempt
//! is reserved first (refused at the limit without any hashing), then a hash slot is taken
//! (refused quickly when all are busy), and a correct password gives both reservations back.
//! Unknown users take exactly the same path, with a decoy hash, so neither the answer nor its
//! time tells whether a name exists.
//!
//! The password itself is checked by the configured directory (`directory`): the built-in one
//! hashes, LDAP binds as the user. A directory that cannot answer gives the attempt back and
//! answers [`PasswordOutcome::DirectoryUnavailable`]: nobody gets in, nobody's lock moves.
//!
//! Leaves out what a correct password leads to (sign-in steps, the RDP decision) and the
//! audit log: callers do both.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use twofold_store::{StoreError, UserRecord};

use crate::blocking::WorkError;
use zeroize::Zeroizing;

use crate::directory::{Authentication, DirectoryError};
use crate::state::AppState;

/// How long a request waits for a hash slot before it is told the portal is busy.
const HASH_SLOT_WAIT: Duration = Duration::from_secs(2);

/// What a password attempt came to.
pub enum PasswordOutcome {
    Accepted(UserRecord),
    /// Wrong password or unknown user (the same answer and the same work for both). `user` is
    /// the directory's name when the account exists, for the audit log only.
    Rejected {
        user: Option<String>,
    },
    /// Too many failed attempts from this address.
    AddressThrottled,
    /// Too many failed attempts for this account, from anywhere.
    AccountThrottled,
    /// Every hash slot is busy: try again shortly. Nothing was counted.
    Busy,
    /// The directory could not check the password (down, refusing). Nothing was counted.
    DirectoryUnavailable,
}

/// The hash slots: a bound on memory (19 MiB each) and on blocking threads.
pub fn hash_slots(count: usize) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(count.max(1)))
}

/// A reasonable slot count for this machine: two per core, so the cores stay busy while a
/// hash waits for its thread, and memory stays under 40 MiB per core.
pub fn default_hash_slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4)
}

/// The throttle key for the per-account back-off. Names compare case-insensitively in the
/// directory, so the key does too; it is capped so a huge "name" cannot bloat the table.
pub fn account_key(username: &str) -> String {
    let name: String = username.trim().chars().take(128).collect::<String>().to_lowercase();
    format!("user:{name}")
}

pub async fn check(
    state: &AppState,
    address: &str,
    username: &str,
    password: Zeroizing<String>,
) -> Result<PasswordOutcome, WorkError> {
    let account = account_key(username);
    let s = state.settings.clone();
    let (window, now) = (s.address_window as i64, state.now_i64());
    let reserve = {
        let (store, address, account) = (state.store.clone(), address.to_string(), account.clone());
        move || -> Result<Option<PasswordOutcome>, StoreError> {
            if !store.reserve_attempt(&address, s.address_limit, now, window)? {
                return Ok(Some(PasswordOutcome::AddressThrottled));
            }
            if !store.reserve_attempt(&account, s.account_limit, now, window)? {
                store.release_attempt(&address, now, window)?;
                return Ok(Some(PasswordOutcome::AccountThrottled));
            }
            Ok(None)
        }
    };
    if let Some(refused) = crate::blocking::run(reserve).await? {
        return Ok(refused);
    }
    let release = {
        let (store, address, account) = (state.store.clone(), address.to_string(), account);
        move || -> Result<(), StoreError> {
            store.release_attempt(&address, now, window)?;
            store.release_attempt(&account, now, window)
        }
    };

    let slot = match tokio::time::timeout(HASH_SLOT_WAIT, state.hash_slots.clone().acquire_owned())
        .await
    {
        Ok(Ok(slot)) => slot,
        // Never checked: give the attempt back, so a busy portal does not lock anyone out.
        _ => {
            crate::blocking::run(release).await?;
            return Ok(PasswordOutcome::Busy);
        }
    };
    match crate::directory::sign_in(state, username, password, slot).await {
        Ok(Authentication::Accepted(user)) => {
            crate::blocking::run(release).await?;
            let store = state.store.clone();
            let record = crate::blocking::run(move || store.user(&user.name)).await?;
            // The row was there (built-in) or was just made (directory): gone only if the
            // user was deleted in between, which is a refusal like any other.
            Ok(match record {
                Some(record) => PasswordOutcome::Accepted(record),
                None => PasswordOutcome::Rejected { user: None },
            })
        }
        Ok(Authentication::Rejected { user }) => Ok(PasswordOutcome::Rejected { user }),
        Err(DirectoryError::Unavailable(why)) => {
            tracing::warn!(reason = %why, "the directory could not check a password");
            crate::blocking::run(release).await?;
            Ok(PasswordOutcome::DirectoryUnavailable)
        }
        Err(e) => Err(e.into()),
    }
}
