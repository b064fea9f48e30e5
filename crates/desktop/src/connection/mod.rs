//! Where the Admin mode's connection comes from: the admin URL kept in a small settings file
//! ([`settings`]), the token of a portal on this machine read from its data directory
//! ([`local_token`]), and a pasted token kept in the OS keyring ([`token_store`]).

pub mod local_token;
pub mod settings;
pub mod token_store;
