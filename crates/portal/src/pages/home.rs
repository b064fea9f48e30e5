//! The signed-in home page (the remote desktop launcher would sit here) with sign-out.

use maud::{html, Markup};

use super::layout::page;
use crate::messages::Messages;

pub fn home(m: &Messages, csrf: &str, user: &str, two_factor: bool) -> Markup {
    page(
        m,
        &m.home_title,
        false,
        html! {
            h1 { (m.home_title) }
            p { (m.home_signed_in_as) " " span #signed-in-as .who { (user) } }
            @if two_factor {
                p.status-ok { "✓ " (m.home_two_factor_on) }
            } @else {
                p.lead { (m.home_two_factor_off) }
            }
            form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(csrf);
                button #sign-out type="submit" { (m.sign_out) }
            }
        },
    )
}
