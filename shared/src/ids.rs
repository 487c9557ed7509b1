//! Identifiers: ULIDs (time-ordered, 26 Crockford base32 chars) for every entity.

/// A fresh ULID as a string.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// True when `s` is a syntactically valid ULID. Used to reject junk ids with a
/// 404 before they reach the store.
pub fn is_valid(s: &str) -> bool {
    s.len() == 26 && ulid::Ulid::from_string(s).is_ok()
}

/// The current time as an RFC 3339 UTC string with millisecond precision.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(now.millisecond() as u32 * 1_000_000).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}

/// Seconds since the Unix epoch.
pub fn now_epoch() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_ulids_and_junk_is_not() {
        let id = new_id();
        assert!(is_valid(&id), "{id}");
        assert!(!is_valid("not-an-id"));
        assert!(!is_valid(""));
        assert!(!is_valid("01JDEMO000000000000000000!"));
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(t.ends_with('Z'), "{t}");
        assert!(time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).is_ok());
    }
}
