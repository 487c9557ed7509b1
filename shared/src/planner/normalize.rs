//! Keyword text normalisation for duplicate detection: Unicode NFC, lower
//! case, trimmed, inner whitespace collapsed to one space.

use unicode_normalization::UnicodeNormalization;

/// The form two keywords are compared in: equal forms are the same keyword.
pub fn normalize_keyword(raw: &str) -> String {
    let nfc: String = raw.nfc().collect();
    let lower = nfc.to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_one_keyword_normalise_alike() {
        assert_eq!(normalize_keyword("  Best   Running\tShoes "), "best running shoes");
        // "é" precomposed vs "e" + combining acute
        assert_eq!(normalize_keyword("caf\u{e9}"), normalize_keyword("cafe\u{301}"));
        assert_eq!(normalize_keyword("ÜBER"), "über");
        assert_ne!(normalize_keyword("running shoes"), normalize_keyword("running shoe"));
    }
}
