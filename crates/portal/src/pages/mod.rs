//! The portal's HTML pages, rendered with maud (escaping by construction). Pages take the
//! message catalogue and plain values; they make no decisions.

mod activate;
mod home;
mod layout;
mod login;
mod verify;

pub use activate::{activate, ActivatePage};
pub use home::home;
pub use layout::STYLESHEET;
pub use login::login;
pub use verify::verify;
