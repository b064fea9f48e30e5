//! What the code list shows for one account at a given second: the code, grouped for reading,
//! the countdown and the next code.
//!
//! Leaves out reading secrets (the vault passes them in) and the clock (`now_unix` is passed).

use serde::Serialize;
use twofold_core::otp::{group_code, hotp, seconds_left, steam, time_step, totp};
use twofold_core::{OtpKind, Secret};

use crate::account::Account;
use crate::error::Result;

/// How many seconds before the change the UI should show [`AccountCode::next_code`]. A
/// suggestion: the next code is always filled in for TOTP.
pub const NEXT_CODE_WINDOW_SECS: u64 = 5;

/// TOTP, HOTP or Steam Guard, as the UI needs to know which controls to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodeKind {
    Totp,
    Hotp,
    /// Time-based like TOTP, but five characters from Steam's alphabet.
    Steam,
}

/// One row of the code list. Holds codes, never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountCode {
    pub id: String,
    pub issuer: Option<String>,
    pub account: String,
    pub kind: CodeKind,
    /// The code to type: TOTP at `now`; HOTP the last code issued by
    /// [`crate::Vault::next_hotp`] in this session (`None` until then, because an HOTP code
    /// is only valid once and showing one must advance the counter).
    pub code: Option<String>,
    /// `code` split for reading, e.g. `123 456`.
    pub grouped: Option<String>,
    /// TOTP and Steam: the period and the seconds until `code` changes (1..=period).
    pub period: Option<u64>,
    pub seconds_left: Option<u64>,
    /// TOTP and Steam: the code of the next period, for the last [`NEXT_CODE_WINDOW_SECS`] seconds.
    pub next_code: Option<String>,
    pub next_grouped: Option<String>,
    /// HOTP only: the counter the next [`crate::Vault::next_hotp`] will use.
    pub counter: Option<u64>,
    /// Why this row has no code (its secret is missing from the keyring, …), so one broken
    /// account does not hide the others.
    pub problem: Option<String>,
}

impl AccountCode {
    /// A row with its names filled in and every code field empty.
    pub fn blank(account: &Account) -> AccountCode {
        let (kind, period, counter) = match account.kind {
            OtpKind::Totp { period } => (CodeKind::Totp, Some(period), None),
            OtpKind::Hotp { counter } => (CodeKind::Hotp, None, Some(counter)),
            OtpKind::Steam { period } => (CodeKind::Steam, Some(period), None),
        };
        AccountCode {
            id: account.id.clone(),
            issuer: account.issuer.clone(),
            account: account.account.clone(),
            kind,
            code: None,
            grouped: None,
            period,
            seconds_left: None,
            next_code: None,
            next_grouped: None,
            counter,
            problem: None,
        }
    }

    /// The row for `account` at `now_unix`. `last_hotp` is the HOTP code issued earlier in
    /// this session, if any.
    pub(crate) fn compute(
        account: &Account,
        secret: &Secret,
        now_unix: u64,
        last_hotp: Option<&str>,
    ) -> Result<AccountCode> {
        let mut row = AccountCode::blank(account);
        match account.kind {
            OtpKind::Totp { period } => {
                let code = totp(secret, account.algorithm, account.digits, period, now_unix)?;
                // The next period's code is HOTP of the next step; computing it by step avoids
                // an overflow on `now + period` near u64::MAX.
                let next_step = time_step(now_unix, period).saturating_add(1);
                let next = hotp(secret, account.algorithm, account.digits, next_step)?;
                row.seconds_left = Some(seconds_left(now_unix, period));
                row.grouped = Some(group_code(&code));
                row.code = Some(code);
                row.next_grouped = Some(group_code(&next));
                row.next_code = Some(next);
            }
            OtpKind::Steam { period } => {
                let code = steam(secret, period, now_unix)?;
                let next_start =
                    time_step(now_unix, period).saturating_add(1).saturating_mul(period);
                let next = steam(secret, period, next_start)?;
                row.seconds_left = Some(seconds_left(now_unix, period));
                // Steam shows its five characters ungrouped.
                row.grouped = Some(code.clone());
                row.code = Some(code);
                row.next_grouped = Some(next.clone());
                row.next_code = Some(next);
            }
            OtpKind::Hotp { .. } => {
                if let Some(code) = last_hotp {
                    row.grouped = Some(group_code(code));
                    row.code = Some(code.to_string());
                }
            }
        }
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twofold_core::Algorithm;

    fn account(kind: OtpKind, digits: u32) -> Account {
        Account {
            id: "a".into(),
            issuer: Some("Example".into()),
            account: "alice".into(),
            kind,
            algorithm: Algorithm::Sha1,
            digits,
            sort_order: 0,
            created: 0,
        }
    }

    fn rfc_secret() -> Secret {
        Secret::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn totp_row_has_grouped_code_countdown_and_next_code() {
        let row = AccountCode::compute(
            &account(OtpKind::Totp { period: 30 }, 8),
            &rfc_secret(),
            59,
            None,
        )
        .unwrap();
        // RFC 6238 Appendix B: T=59 gives 94287082; T=60..89 is step 2.
        assert_eq!(row.code.as_deref(), Some("94287082"));
        assert_eq!(row.grouped.as_deref(), Some("9428 7082"));
        assert_eq!(row.seconds_left, Some(1));
        let at_60 = totp(&rfc_secret(), Algorithm::Sha1, 8, 30, 60).unwrap();
        assert_eq!(row.next_code, Some(at_60));
        assert_eq!(row.kind, CodeKind::Totp);
    }

    #[test]
    fn hotp_row_shows_no_code_until_one_was_issued() {
        let acct = account(OtpKind::Hotp { counter: 3 }, 6);
        let row = AccountCode::compute(&acct, &rfc_secret(), 0, None).unwrap();
        assert_eq!(row.code, None);
        assert_eq!(row.counter, Some(3));
        let row = AccountCode::compute(&acct, &rfc_secret(), 0, Some("969429")).unwrap();
        assert_eq!(row.grouped.as_deref(), Some("969 429"));
        assert_eq!(row.next_code, None);
    }

    #[test]
    fn steam_row_has_five_characters_and_a_countdown() {
        let acct = account(OtpKind::Steam { period: 30 }, 5);
        let row = AccountCode::compute(&acct, &rfc_secret(), 59, None).unwrap();
        let code = row.code.unwrap();
        assert_eq!(code, steam(&rfc_secret(), 30, 59).unwrap());
        assert_eq!(code.chars().count(), 5);
        assert_eq!(row.grouped.as_deref(), Some(code.as_str()));
        assert_eq!(row.next_code, Some(steam(&rfc_secret(), 30, 60).unwrap()));
        assert_eq!((row.kind, row.seconds_left), (CodeKind::Steam, Some(1)));
    }
}
