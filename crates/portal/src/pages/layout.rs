//! The frame every page shares: header with the product name, one card, the stylesheet.

use maud::{html, Markup, DOCTYPE};

use crate::messages::Messages;

pub const STYLESHEET: &str = include_str!("../../assets/portal.css");

pub fn page(m: &Messages, title: &str, wide: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(m.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (m.product) }
                link rel="stylesheet" href="/static/portal.css";
            }
            body {
                header.top {
                    span.logo aria-hidden="true" { "2" }
                    span.brand { (m.product) }
                }
                main class=[wide.then_some("wide")] { (body) }
                footer { (m.product) }
            }
        }
    }
}

pub fn error_line(error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.error role="alert" { (error) }
        }
    }
}
