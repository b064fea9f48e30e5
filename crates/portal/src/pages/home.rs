//! The signed-in home page: the remote desktops the admin configured, and sign-out.

use maud::{html, Markup};

use super::layout::page;
use crate::messages::Messages;
use crate::state::Desktop;

pub fn home(
    m: &Messages,
    csrf: &str,
    user: &str,
    two_factor: bool,
    desktops: &[Desktop],
) -> Markup {
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
            h2 { (m.home_desktops_title) }
            @if desktops.is_empty() {
                p.lead #no-desktops { (m.home_no_desktops) }
            } @else {
                ul.desktops {
                    @for desktop in desktops {
                        li { a.desktop href=(desktop.url) data-testid="desktop-link" { (desktop.name) } }
                    }
                }
            }
            form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(csrf);
                button #sign-out type="submit" { (m.sign_out) }
            }
        },
    )
}
