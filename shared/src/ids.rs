//! Identifiers: ULIDs (time-ordered, 26 Crockford base32 chars) for every entity.

/// A fresh ULID as a string.
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// A ULID derived from another id and a salt: same inputs, same id. It
/// keeps the base id's timestamp (so it sorts with it) and takes its random
/// part from SHA-256 of both. Jobs use it to make what they create
/// idempotent: a retried execution writes the same keys again.
pub fn derived(base: &str, salt: &str) -> String {
    use sha2::{Digest, Sha256};
    let ms = ulid::Ulid::from_string(base).map(|u| u.timestamp_ms()).unwrap_or(0);
    let digest = Sha256::new().chain_update(base.as_bytes()).chain_update([0]).chain_update(salt.as_bytes()).finalize();
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    ulid::Ulid::from_parts(ms, u128::from_be_bytes(random)).to_string()
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
    fn derived_ids_are_stable_valid_and_sort_with_their_base() {
        let base = new_id();
        let a = derived(&base, "group-0");
        assert!(is_valid(&a), "{a}");
        assert_eq!(a, derived(&base, "group-0"));
        assert_ne!(a, derived(&base, "group-1"));
        assert_eq!(a[..10], base[..10], "same timestamp part");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert!(t.ends_with('Z'), "{t}");
        assert!(time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).is_ok());
    }
}
