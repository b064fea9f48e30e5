//! The activation page shown at the first sign-in of a user who needs 2FA: the apps to use,
//! the QR code, the same key as text, and the code that proves the app has it.

use maud::{html, Markup};

use super::layout::{error_line, page};
use crate::messages::Messages;

pub struct ActivatePage<'a> {
    pub csrf: &'a str,
    pub account: &'a str,
    /// The base32 key in groups of four, for typing.
    pub grouped_key: &'a str,
    /// Changes with the secret so a browser never shows a cached QR of an older one.
    pub qr_version: &'a str,
    pub error: Option<&'a str>,
}

pub fn activate(m: &Messages, p: &ActivatePage<'_>) -> Markup {
    page(
        m,
        &m.activate_title,
        true,
        html! {
            h1 { (m.activate_title) }
            p.lead { (m.activate_lead) }
            (error_line(p.error))
            ol.steps {
                li {
                    (m.activate_step_install)
                    ul.apps { @for app in &m.activate_apps { li { (app) } } }
                }
                li {
                    (m.activate_step_scan)
                    div.qr { img #qr src={ "/activate/qr.png?v=" (p.qr_version) } alt=(m.activate_qr_alt) width="220" height="220"; }
                    (m.activate_step_key)
                    code #secret-key .key { (p.grouped_key) }
                    div.key-details { (m.activate_key_details.replace("{account}", p.account)) }
                }
                li {
                    form #activate-form method="post" action="/activate" {
                        input type="hidden" name="csrf" value=(p.csrf);
                        label for="code" { (m.activate_step_code) }
                        input #code .code type="text" name="code" autocomplete="one-time-code" inputmode="numeric"
                            pattern="[0-9 ]*" maxlength="9" required;
                        button #activate type="submit" { (m.activate_button) }
                    }
                }
            }
            form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(p.csrf);
                button .link #cancel type="submit" { (m.cancel) }
            }
        },
    )
}
