//! The portal's user-facing text, one catalogue file per language in `locales/`. English is
//! the reference; every language must define every message (a missing one fails the tests,
//! not a user's page). The language follows the browser's `Accept-Language`.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    pub lang: String,
    pub product: String,
    pub sign_in_title: String,
    pub sign_in_lead: String,
    pub username: String,
    pub password: String,
    pub sign_in_button: String,
    pub bad_credentials: String,
    pub too_many_attempts: String,
    pub bad_form: String,
    pub session_expired: String,
    pub verify_title: String,
    pub verify_lead: String,
    pub code_label: String,
    pub verify_button: String,
    pub wrong_code: String,
    pub replayed_code: String,
    pub malformed_code: String,
    pub locked: String,
    pub activate_title: String,
    pub activate_lead: String,
    pub activate_step_install: String,
    pub activate_apps: Vec<String>,
    pub activate_step_scan: String,
    pub activate_qr_alt: String,
    pub activate_step_key: String,
    pub activate_key_details: String,
    pub activate_step_code: String,
    pub activate_button: String,
    pub activate_changed: String,
    pub activate_superseded: String,
    pub account_too_many_attempts: String,
    pub busy: String,
    pub unavailable: String,
    pub home_title: String,
    pub home_signed_in_as: String,
    pub home_two_factor_on: String,
    pub home_two_factor_off: String,
    pub home_desktops_title: String,
    pub home_no_desktops: String,
    pub sign_out: String,
    pub cancel: String,
    pub forbidden: String,
    pub server_error: String,
    pub rdp_denied_two_factor: String,
    pub rdp_denied_credentials: String,
    pub rdp_allowed: String,
    pub rdp_throttled: String,
    pub rdp_account_throttled: String,
    pub directory_unavailable: String,
    pub rdp_directory_unavailable: String,
    pub rdp_denied_locked: String,
}

const EN: &str = include_str!("../locales/en.json");
const FR: &str = include_str!("../locales/fr.json");

fn parse(text: &str) -> Messages {
    serde_json::from_str(text).expect("locale files are checked by the tests")
}

pub fn english() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(|| parse(EN))
}

pub fn french() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(|| parse(FR))
}

/// Picks the catalogue for an `Accept-Language` header: the first listed language we have.
pub fn for_accept_language(header: Option<&str>) -> &'static Messages {
    let Some(header) = header else { return english() };
    for part in header.split(',') {
        let tag = part.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if tag.starts_with("fr") {
            return french();
        }
        if tag.starts_with("en") {
            return english();
        }
    }
    english()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_defines_every_message() {
        for text in [EN, FR] {
            let parsed: Result<Messages, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "{parsed:?}");
        }
    }

    #[test]
    fn french_is_chosen_when_the_browser_prefers_it() {
        assert_eq!(for_accept_language(Some("fr-FR,fr;q=0.9,en;q=0.8")).lang, "fr");
        assert_eq!(for_accept_language(Some("de-DE,en;q=0.5")).lang, "en");
        assert_eq!(for_accept_language(None).lang, "en");
    }
}
