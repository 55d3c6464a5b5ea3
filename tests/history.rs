//! `stepdbg run --history` against the execution histories real AWS recorded for the
//! conformance cases (tests/data/conformance/histories), event by event, with the
//! corpus's own comparison tool (tests/data/tools/compare-history.py, which normalises
//! timestamps, ARNs and ids as its README says). Differences must be listed, with their
//! reason, in tests/history-known-differences.txt; a listed case that starts matching
//! fails the test too, so the list only shrinks. Skipped (saying so) without python3.

use std::collections::BTreeMap;

mod known;
use std::path::Path;
use std::process::Command;

#[test]
fn histories_match_what_aws_recorded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("tests/data");
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let out = Command::new("python3")
        .arg(data.join("tools/compare-history.py"))
        .arg(env!("CARGO_BIN_EXE_stepdbg"))
        .arg(data.join("conformance/cases"))
        .arg(data.join("conformance/histories"))
        .args(["--show", "10000"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let differing: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("DIFF "))
        .filter_map(|l| l.split_once(" - "))
        .map(|(case, why)| (case.trim().to_string(), why.to_string()))
        .collect();
    let summary = text
        .lines()
        .find(|l| l.starts_with("histories:"))
        .unwrap_or("");
    println!("{summary}");
    known::check("tests/history-known-differences.txt", &differing);
}
