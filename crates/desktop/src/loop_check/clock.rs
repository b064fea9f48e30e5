//! The portal's clock as its HTTP `Date` header tells it, against this machine's: codes are
//! computed from the local clock and checked against the portal's, so an offset beyond the
//! verifier's window makes every code fail without saying why.
//!
//! The pure part leaves out reading either clock (the caller passes the header and the local
//! times around the request); [`measure`] is the one function that asks a server and reads the
//! local clock, for the app's clock warning. The obsolete RFC 850 / asctime date forms are left
//! out (every current server sends the IMF-fixdate of RFC 9110 §5.6.7).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Beyond this many seconds apart the clocks count as wrong. The verifier accepts one 30 s
/// step back, but an offset of even 10 s makes codes typed late in their step fail.
pub const MAX_OFFSET_SECS: f64 = 5.0;

/// The Unix time of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or `None`.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let (_weekday, rest) = text.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| m == month)? as i64
        + 1;
    let year: i64 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    if *h > 23 || *m > 59 || *s > 60 {
        return None;
    }
    Some(twofold_core::dates::days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// How far the portal's clock is from ours, in seconds (positive: the portal is ahead).
///
/// `Date` has whole seconds and is taken somewhere between sending and receiving, so the
/// server's time is taken as the middle of its second and compared with the middle of the
/// request; what remains uncertain is half a second plus half the round trip.
pub fn offset_secs(portal_date: i64, sent_unix: f64, received_unix: f64) -> f64 {
    let local = (sent_unix + received_unix) / 2.0;
    (portal_date as f64 + 0.5) - local
}

/// Offsets within this many seconds cannot be told from rounding and the round trip.
pub fn uncertainty_secs(sent_unix: f64, received_unix: f64) -> f64 {
    0.5 + (received_unix - sent_unix).max(0.0) / 2.0
}

/// "the portal's clock is 120 s ahead of this machine's", or "in step" within `uncertainty`.
pub fn describe_offset(offset: f64, uncertainty: f64) -> String {
    if offset.abs() <= uncertainty {
        return format!(
            "the portal's clock agrees with this machine's (within {uncertainty:.1} s)"
        );
    }
    let way = if offset > 0.0 { "ahead of" } else { "behind" };
    format!("the portal's clock is {:.0} s {way} this machine's", offset.abs())
}

/// Whether `offset` (seconds, portal minus this machine) is beyond what codes tolerate:
/// more than `max` apart, and more than the measurement can be wrong by.
pub fn is_skewed(offset: f64, uncertainty: f64, max: f64) -> bool {
    offset.abs() > max.max(uncertainty)
}

/// One comparison of the clocks, as the app's clock warning shows it (serialized for the UI,
/// which writes its own sentence from the numbers).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockCheck {
    /// The server whose `Date` was read (`scheme://host:port`).
    pub url: String,
    /// The server's clock minus this machine's, in seconds (positive: the server is ahead).
    pub offset_secs: f64,
    pub uncertainty_secs: f64,
    /// The tolerance used ([`MAX_OFFSET_SECS`]).
    pub tolerance_secs: f64,
    /// Beyond the tolerance: codes computed here will be refused there.
    pub skewed: bool,
}

impl ClockCheck {
    /// The check of a `Date` of `portal_date` read between `sent` and `received` (Unix s).
    pub fn new(url: &str, portal_date: i64, sent: f64, received: f64) -> ClockCheck {
        let offset = offset_secs(portal_date, sent, received);
        let uncertainty = uncertainty_secs(sent, received);
        ClockCheck {
            url: url.to_string(),
            offset_secs: offset,
            uncertainty_secs: uncertainty,
            tolerance_secs: MAX_OFFSET_SECS,
            skewed: is_skewed(offset, uncertainty, MAX_OFFSET_SECS),
        }
    }
}

/// Why [`measure`] has no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("{0:?} is not an http(s) URL")]
    InvalidUrl(String),
    #[error("{url} does not answer: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("the answer of {url} has no usable Date header")]
    NoDate { url: String },
}

/// How long [`measure`] waits: the warning is advice, not worth a long stall.
const MEASURE_TIMEOUT: Duration = Duration::from_secs(5);

fn unix_now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Asks the server at `url` for any page and compares its `Date` with this machine's clock.
/// No credentials are sent: an error page (401, 404) carries a `Date` as well.
pub async fn measure(url: &str) -> Result<ClockCheck, ClockError> {
    let parsed = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| ClockError::InvalidUrl(url.to_string()))?;
    let shown = parsed.origin().ascii_serialization();
    let unreachable = |detail: String| ClockError::Unreachable { url: shown.clone(), detail };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(MEASURE_TIMEOUT)
        .build()
        .map_err(|e| unreachable(e.to_string()))?;
    let sent = unix_now_f64();
    let resp = http.get(parsed.clone()).send().await.map_err(|e| unreachable(e.to_string()))?;
    let received = unix_now_f64();
    let date = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date)
        .ok_or_else(|| ClockError::NoDate { url: shown.clone() })?;
    Ok(ClockCheck::new(&shown, date, sent, received))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_is_skewed_only_beyond_the_tolerance_and_the_uncertainty() {
        let ahead = ClockCheck::new("http://p", 1_000_120, 1_000_000.0, 1_000_000.2);
        assert!(ahead.skewed && ahead.offset_secs > 119.0, "{ahead:?}");
        assert_eq!(ahead.tolerance_secs, MAX_OFFSET_SECS);
        let close = ClockCheck::new("http://p", 1_000_003, 1_000_000.0, 1_000_000.2);
        assert!(!close.skewed, "{close:?}");
        // A 20 s round trip cannot tell 8 s apart from nothing.
        assert!(!is_skewed(8.0, uncertainty_secs(0.0, 20.0), MAX_OFFSET_SECS));
        assert!(is_skewed(-8.0, 0.6, MAX_OFFSET_SECS));
    }

    #[test]
    fn imf_fixdates_parse_to_unix_seconds() {
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"), Some(1_835_481_599));
    }

    #[test]
    fn other_date_forms_and_garbage_are_none() {
        for text in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 99999999999999999999 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_offset_says_which_way_and_by_how_much() {
        let ahead = offset_secs(1_000_120, 1_000_000.0, 1_000_000.2);
        assert!((ahead - 120.4).abs() < 0.01, "{ahead}");
        assert_eq!(
            describe_offset(ahead, 0.6),
            "the portal's clock is 120 s ahead of this machine's"
        );
        let behind = offset_secs(999_880, 1_000_000.0, 1_000_000.0);
        assert_eq!(
            describe_offset(behind, 0.5),
            "the portal's clock is 120 s behind this machine's"
        );
        assert!(describe_offset(0.3, 0.5).contains("agrees"));
        assert!((uncertainty_secs(10.0, 11.0) - 1.0).abs() < 1e-9);
    }
}
