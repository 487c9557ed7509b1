//! Deterministic keyword files with known counts, for the scale bench
//! (`cargo xtask bench --scale`) and the tests of resumable imports.
//!
//! A file of `rows` data rows (CSV `Keyword,Volume,Keyword Difficulty`):
//! every 50th row is invalid (a volume that is not a number), every 20th
//! repeats the keyword of the row before it in capitals (an in-file
//! duplicate, merged by the parser), and the first `existing` distinct
//! keywords are also in the seed file (with another volume), so they are
//! updates when the file is imported after the seed.

/// What importing the file after its seed reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub duplicates: usize,
    pub invalid: usize,
}

pub struct KeywordFile {
    /// Keywords to import first (the "existing" ones), CSV.
    pub seed: String,
    /// The file under test, CSV.
    pub file: String,
    pub expected: Expected,
}

const WORDS: [&str; 16] = [
    "travel", "budget", "family", "guide", "cheap", "hotel", "beach", "winter", "city", "food", "hiking", "museum", "train", "island", "camping", "weekend",
];

fn text(i: usize) -> String {
    // distinct per i, with shared words so clustering has something to group
    format!("{} {} {} ideas {i}", WORDS[i % 16], WORDS[(i / 16) % 16], WORDS[(i / 256) % 16])
}

/// A file of `rows` data rows of which the first `existing` distinct keywords exist already.
pub fn keyword_file(rows: usize, existing: usize) -> KeywordFile {
    let header = "Keyword,Volume,Keyword Difficulty\n";
    let mut file = String::from(header);
    let mut seed = String::from(header);
    let (mut distinct, mut duplicates, mut invalid, mut updated) = (0usize, 0usize, 0usize, 0usize);
    let mut last: Option<String> = None;
    for r in 1..=rows {
        if r % 50 == 0 {
            file.push_str(&format!("{} broken,12abc,10\n", text(1_000_000 + r)));
            invalid += 1;
            continue;
        }
        if r % 20 == 0
            && let Some(prev) = &last
        {
            file.push_str(&format!("{},,\n", prev.to_uppercase()));
            duplicates += 1;
            continue;
        }
        let k = text(distinct);
        file.push_str(&format!("{k},{},{}\n", 100 + distinct % 900, distinct % 100));
        if distinct < existing {
            seed.push_str(&format!("{k},{},{}\n", 5, distinct % 100));
            updated += 1;
        }
        distinct += 1;
        last = Some(k);
    }
    KeywordFile { seed, file, expected: Expected { rows, created: distinct - updated, updated, duplicates, invalid } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up() {
        let f = keyword_file(1_000, 30);
        let e = f.expected;
        assert_eq!(e.created + e.updated + e.duplicates + e.invalid, 1_000);
        assert_eq!((e.invalid, e.duplicates, e.updated), (20, 40, 30));
        assert_eq!(f.file.lines().count(), 1_001);
        assert_eq!(f.seed.lines().count(), 31);
    }
}
