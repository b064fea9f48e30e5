//! Portal sign-in steps that admin tests use to put users into a known state and to check
//! what an admin change did: where a password sign-in leads (`/` password only, `/activate`
//! shows a QR, `/verify` asks for a code), enrolling a user, and locking one out with wrong
//! codes. Plain HTTP through [`WebClient`]; asserts only that each step ran.

use crate::clock::{now_unix, room_in_current_step, start_of, step_of};
use crate::html;
use crate::tools::oathtool_totp;
use crate::Portal;
use reqwest::StatusCode;

/// Where a fresh password sign-in of `user` leads: the `Location` of the 303 (`/`,
/// `/activate` or `/verify`), or `None` when the password was refused.
pub async fn password_sign_in_leads_to(
    portal: &Portal,
    user: &str,
    password: &str,
) -> Option<String> {
    let page = portal.web().sign_in(user, password).await;
    match page.status {
        StatusCode::SEE_OTHER | StatusCode::FOUND => {
            page.location.map(|l| l.split('?').next().unwrap_or_default().to_string())
        }
        _ => None,
    }
}

/// The key shown as text on the activation page of a fresh sign-in (spaces removed): the QR
/// code's secret. Panics unless the sign-in leads to `/activate`.
pub async fn activation_key(
    portal: &Portal,
    user: &str,
    password: &str,
) -> (crate::WebClient, String) {
    let web = portal.web();
    let page = web.sign_in(user, password).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/activate"),
        "{user}: sign-in did not lead to /activate: {}",
        page.summary()
    );
    let activate = web.get("/activate").await;
    let key = html::text_by_id(&activate.body, "secret-key")
        .unwrap_or_else(|| panic!("no #secret-key on /activate:\n{}", activate.body))
        .replace(' ', "");
    (web, key)
}

/// Enrolls `user` through the pages (sign in, read the key, enter oathtool's code) and
/// returns the secret.
pub async fn enroll(portal: &Portal, user: &str, password: &str) -> String {
    let (web, key) = activation_key(portal, user, password).await;
    room_in_current_step(3).await;
    let done = web.submit_code("/activate", &oathtool_totp(&key, now_unix())).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/"),
        "{user}: activation failed: {}\n{}",
        done.summary(),
        done.body
    );
    key
}

/// Signs `user` in with the password and sends wrong codes until the portal answers 423
/// (locked). Returns how many wrong codes it took.
pub async fn lock_out(portal: &Portal, user: &str, password: &str, secret: &str) -> u32 {
    let web = portal.web();
    let page = web.sign_in(user, password).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/verify"),
        "{user}: sign-in did not ask for a code: {}",
        page.summary()
    );
    for attempt in 1..=20 {
        // A code that is certainly wrong now: the right one with its last digit changed.
        let right = oathtool_totp(secret, now_unix());
        let last = right.as_bytes()[5];
        let wrong =
            format!("{}{}", &right[..5], if last == b'9' { '0' } else { (last + 1) as char });
        let answer = web.submit_code("/verify", &wrong).await;
        if answer.status == StatusCode::LOCKED {
            return attempt;
        }
    }
    panic!("{user} was not locked after 20 wrong codes");
}

/// A six-digit code that is none of the valid codes for the steps around now.
pub fn wrong_code(secret: &str) -> String {
    let step = step_of(now_unix());
    let valid: Vec<String> =
        (step - 2..=step + 2).map(|s| oathtool_totp(secret, start_of(s))).collect();
    let mut n: u32 = valid[2].parse().expect("digits");
    loop {
        n = (n + 137_731) % 1_000_000;
        let candidate = format!("{n:06}");
        if !valid.contains(&candidate) {
            return candidate;
        }
    }
}
