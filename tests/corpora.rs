//! Every definition AWS accepted must load and validate without errors: the 938
//! conformance definitions and the 176 real-world ones (except the one that is not JSON).

use std::path::{Path, PathBuf};
use stepdbg::asl::{self, LoadError};

/// A corpus in tests/data (copied from ../shared by scripts/test-data.sh).
fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    assert!(p.is_dir(), "{} is missing", p.display());
    p
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_conformance_definition_validates() {
    let dir = data("conformance/cases");
    let mut bad = Vec::new();
    let mut n = 0;
    for f in files(&dir) {
        let case: stepdbg::json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let def = asl::from_value(case["definition"].clone());
        n += 1;
        for d in def.errors() {
            bad.push(format!("{}: {} at {}", f.display(), d.message, d.pointer));
        }
    }
    assert_eq!(n, 938, "the corpus holds 938 cases");
    assert!(
        bad.is_empty(),
        "AWS accepted these definitions:\n{}",
        bad.join("\n")
    );
}

/// Definitions that AWS itself would reject, with the reason (from AWS's documentation).
const REALWORLD_INVALID: &[(&str, &str)] = &[(
    "shared-fallback-state-jsonata_statemachine_statemachine.asl.json",
    "\"QueryLanguage\": \"JSONata\" sits inside \"States\", where every member must be a state object \
     (ASL spec: States is an object of states), so the machine stays JSONPath and its Arguments/Output \
     fields are JSONata-only (AWS guide, 'Transforming data with JSONata': choosing JSONata replaces \
     InputPath/Parameters/ResultSelector/ResultPath/OutputPath with Arguments and Output)",
)];

#[test]
fn every_realworld_definition_loads_and_validates() {
    let dir = data("realworld/definitions");
    let mut bad = Vec::new();
    let mut syntax = Vec::new();
    let all = files(&dir);
    assert_eq!(all.len(), 176);
    for f in &all {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match asl::load(f) {
            Err(LoadError::Syntax { line, col, .. }) => syntax.push((name, line, col)),
            Err(e) => bad.push(format!("{name}: {e}")),
            Ok(def) => {
                // The loader (which copies like objects' names from a shape) reads what
                // serde_json reads, member order included.
                if name.ends_with(".json") {
                    let text = std::fs::read_to_string(f).unwrap();
                    let theirs: stepdbg::json::Value = serde_json::from_str(&text).unwrap();
                    let text_of = |v: &stepdbg::json::Value| serde_json::to_string(v).unwrap();
                    if text_of(def.doc.value()) != text_of(&theirs) {
                        bad.push(format!("{name}: loaded a different value than serde_json"));
                    }
                }
                let errors: Vec<_> = def.errors().map(|d| d.one_line(&def.doc)).collect();
                let expected_invalid = REALWORLD_INVALID.iter().any(|(n, _)| *n == name);
                if errors.is_empty() == expected_invalid {
                    bad.push(format!(
                        "{name}: expected {} but got: {errors:?}",
                        if expected_invalid {
                            "errors"
                        } else {
                            "no errors"
                        }
                    ));
                }
            }
        }
    }
    assert_eq!(
        syntax,
        vec![(
            "sfn-iot-data-analytics-dataset_statemachine_statemachine.asl.json".to_string(),
            10,
            33
        )],
        "exactly the one malformed file, at its line and column"
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The execution input reader (`stepdbg::expr::parse`, which reads the common tokens
/// itself) gives what serde_json gives for every JSON file of the corpora, and the same
/// error for each cut short or spoiled.
#[test]
fn the_input_reader_reads_every_corpus_file_as_serde_json_does() {
    use stepdbg::json::Value;
    use stepdbg::json::parse::value_from_str;
    let same = |text: &str, what: &str| {
        let theirs = serde_json::from_str::<Value>(text);
        match (value_from_str(text), theirs) {
            (Ok(ours), Ok(theirs)) => {
                assert_eq!(ours, theirs, "{what}");
                assert_eq!(ours.to_string(), theirs.to_string(), "member order, {what}");
            }
            (Err(ours), Err(theirs)) => assert_eq!(ours.to_string(), theirs.to_string(), "{what}"),
            (ours, theirs) => panic!("{what}: {ours:?} but serde_json {theirs:?}"),
        }
    };
    let mut n = 0;
    for f in files(&data(".")) {
        if f.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let what = f.display().to_string();
        same(&text, &what);
        for cut in [text.len() / 3, text.len() / 2, text.len().saturating_sub(1)] {
            let cut = text.floor_char_boundary(cut);
            same(&text[..cut], &format!("{what} cut at {cut}"));
            let spoiled = format!("{}\u{1}{}", &text[..cut], &text[cut..]);
            same(&spoiled, &format!("{what} spoiled at {cut}"));
        }
        n += 1;
    }
    assert!(n > 1000, "only {n} files");
}
