//! What the window shell takes from the environment: `TWOFOLD_MODE=admin|authenticator`
//! opens that mode instead of the last one used (`make run` and the benchmarks open Admin).
//! The page receives it as `window.__TWOFOLD_START_MODE__`, set by a script that runs before
//! the page's own.

/// Environment variable naming the mode to open.
pub const MODE_ENV: &str = "TWOFOLD_MODE";

/// The mode asked for in the environment, if it names one.
pub fn start_mode() -> Option<&'static str> {
    parse_mode(&std::env::var(MODE_ENV).ok()?)
}

/// The script that hands [`start_mode`] to the page (`null` when none is asked for).
pub fn start_mode_script() -> String {
    let mode = match start_mode() {
        Some(mode) => format!("\"{mode}\""),
        None => "null".to_string(),
    };
    format!("window.__TWOFOLD_START_MODE__ = {mode};")
}

fn parse_mode(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "admin" => Some("admin"),
        "authenticator" => Some("authenticator"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_two_mode_names_are_understood() {
        assert_eq!(super::parse_mode(" Admin "), Some("admin"));
        assert_eq!(super::parse_mode("authenticator"), Some("authenticator"));
        assert_eq!(super::parse_mode("root"), None);
    }
}
