//! The code step of an enrolled user's sign-in.

use maud::{html, Markup};

use super::layout::{error_line, page};
use crate::messages::Messages;

pub fn verify(m: &Messages, csrf: &str, error: Option<&str>) -> Markup {
    page(
        m,
        &m.verify_title,
        false,
        html! {
            h1 { (m.verify_title) }
            p.lead { (m.verify_lead) }
            (error_line(error))
            form #verify-form method="post" action="/verify" {
                input type="hidden" name="csrf" value=(csrf);
                label for="code" { (m.code_label) }
                input #code .code type="text" name="code" autocomplete="one-time-code" inputmode="numeric"
                    pattern="[0-9 ]*" maxlength="9" required autofocus;
                button #verify type="submit" { (m.verify_button) }
            }
            form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(csrf);
                button .link #cancel type="submit" { (m.cancel) }
            }
        },
    )
}
