//! The sign-in page: user name and password.

use maud::{html, Markup};

use super::layout::{error_line, page};
use crate::messages::Messages;

pub fn login(m: &Messages, csrf: &str, username: &str, error: Option<&str>) -> Markup {
    page(
        m,
        &m.sign_in_title,
        false,
        html! {
            h1 { (m.sign_in_title) }
            p.lead { (m.sign_in_lead) }
            (error_line(error))
            form #login-form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="username" { (m.username) }
                input #username type="text" name="username" value=(username) autocomplete="username"
                    autocapitalize="none" spellcheck="false" required autofocus[username.is_empty()];
                label for="password" { (m.password) }
                input #password type="password" name="password" autocomplete="current-password" required
                    autofocus[!username.is_empty()];
                button #sign-in type="submit" { (m.sign_in_button) }
            }
        },
    )
}
