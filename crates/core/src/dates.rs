//! Calendar dates in UTC for what people read and type: a license's expiry given as
//! `YYYY-MM-DD` and shown in the audit log the same way, an HTTP `Date`, an export's file
//! name. Proleptic Gregorian arithmetic (Howard Hinnant's days-from-civil and its inverse);
//! no time zones, no clock: the caller passes the time.

/// The Unix second that ends day `YYYY-MM-DD` (UTC), or why the text is not such a date.
pub fn end_of_day(text: &str) -> Result<u64, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("{text:?}: expected YYYY-MM-DD"));
    };
    let number = |s: &str| s.parse::<i64>().map_err(|_| format!("{text:?} is not a date"));
    let (y, m, d) = (number(y)?, number(m)?, number(d)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 {
        return Err(format!("{text:?} is not a date"));
    }
    Ok((days_from_civil(y, m, d) * 86400 + 86399) as u64)
}

/// Days since 1970-01-01 of the proleptic Gregorian date `y-m-d`.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// `YYYY-MM-DD` (UTC) of Unix second `unix`.
pub fn utc_date(unix: u64) -> String {
    let days = (unix / 86400) as i64 + 719468;
    let era = days.div_euclid(146097);
    let doe = days - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_means_the_end_of_that_day_utc() {
        assert_eq!(end_of_day("1970-01-01"), Ok(86399));
        assert_eq!(end_of_day("2030-06-15"), Ok(1_907_798_399));
        assert!(end_of_day("2030-13-01").is_err());
        assert!(end_of_day("soon").is_err());
    }

    #[test]
    fn a_unix_second_reads_as_its_utc_day_and_round_trips() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_907_798_399), "2030-06-15");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        for day in ["1999-12-31", "2024-02-29", "2031-06-15", "2100-03-01"] {
            assert_eq!(utc_date(end_of_day(day).unwrap()), day);
        }
    }
}
