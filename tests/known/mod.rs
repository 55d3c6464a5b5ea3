//! Known-difference lists (one case a line, then its reason): a case that differs must be
//! listed, and a listed case that no longer differs must leave the list, so it only
//! shrinks. Shared by the corpus tests.

use std::collections::BTreeMap;
use std::path::Path;

/// Check `differing` (case → why) against the list in `file` (relative to the crate).
pub fn check(file: &str, differing: &BTreeMap<String, String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let known: BTreeMap<&str, &str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split_once(char::is_whitespace)
                .map_or((l, ""), |(c, r)| (c, r.trim()))
        })
        .collect();
    for (case, reason) in &known {
        assert!(!reason.is_empty(), "{file}: {case} needs its reason");
    }
    let unlisted: Vec<String> = differing
        .iter()
        .filter(|(c, _)| !known.contains_key(c.as_str()))
        .map(|(c, why)| format!("{c}: {why}"))
        .collect();
    let now_matching: Vec<&&str> = known
        .keys()
        .filter(|c| !differing.contains_key(**c))
        .collect();
    assert!(
        unlisted.is_empty(),
        "cases that differ and are not in {file}:\n{}",
        unlisted.join("\n")
    );
    assert!(
        now_matching.is_empty(),
        "listed in {file} but no longer differing (remove them): {now_matching:?}"
    );
}
