//! Runs every case of tests/data/conformance (recorded against real AWS) through the engine
//! in-process and compares with the recorded result, as the corpus README says.
//!
//! `tests/conformance-known-failures.txt` lists the cases known to fail, one per line with
//! its reason (`group/name: reason`). The test fails when an unlisted case fails AND when a
//! listed case passes, so the list can only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use stepdbg::engine::{Config, Execution, Status};
use stepdbg::integrations::mock::{MockCase, MockConfig};
use stepdbg::json::Value;

/// The cases, in tests/data (copied from ../shared by scripts/test-data.sh).
fn cases_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/cases");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

fn pointer_delete(doc: &mut Value, ptr: &str) {
    let parts: Vec<String> = ptr
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = parts.split_last() else {
        return;
    };
    let mut cur = doc;
    for p in parents {
        cur = match cur {
            Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            Value::Object(m) => match m.get_mut(p) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match cur {
        Value::Object(m) => {
            m.shift_remove(last);
        }
        Value::Array(a) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = Value::Null;
            }
        }
        _ => {}
    }
}

/// Numbers compare by value (1 == 1.0), as the README asks.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Run one case; Ok(()) when it matches AWS, Err(why) otherwise.
fn run_case(case: &Value) -> Result<(), String> {
    let def = stepdbg::asl::from_value(case["definition"].clone());
    if def.has_errors() {
        let msgs: Vec<String> = def
            .errors()
            .map(|d| format!("{} ({})", d.message, d.pointer))
            .collect();
        return Err(format!("validator rejected it: {}", msgs.join("; ")));
    }
    // As `stepdbg run` runs (no records, no history): the engine's in-place shortcuts
    // (an input moved rather than copied when nothing else reads it) are exercised here.
    let mut cfg = Config {
        record_steps: false,
        keep_history: false,
        ..Config::default()
    };
    if let Some(ctx) = case.get("context") {
        cfg.context_overrides = Some(ctx.clone());
        if let Some(n) = ctx.pointer("/Execution/Name").and_then(Value::as_str) {
            cfg.execution_name = n.into();
        }
        if let Some(n) = ctx.pointer("/StateMachine/Name").and_then(Value::as_str) {
            cfg.state_machine_name = n.into();
        }
    }
    let mut mocks = match case.get("mockConfig") {
        Some(m) => MockConfig::from_value(m.clone())
            .and_then(|c| c.case(case["stateMachineName"].as_str(), case["testCase"].as_str()))
            .map_err(|e| format!("mock config: {e}"))?,
        None => MockCase::default(),
    };
    let mut ex = Execution::new(Arc::new(def.machine.clone()), case["input"].clone(), cfg);
    let mut steps = 0u64;
    let mut unmocked = None;
    ex.run_with(|req| {
        steps += 1;
        let r = mocks.next(&req.state);
        if r.is_none() {
            unmocked = Some(req.state.clone());
        }
        r
    });
    if let Some(s) = unmocked {
        return Err(format!("task '{s}' has no mock"));
    }
    let exp = &case["expected"];
    let got = ex.status().to_json();
    let want_status = exp["status"].as_str().unwrap_or("");
    if got["status"] != exp["status"] {
        return Err(format!(
            "status {} != {want_status}: {}",
            got["status"],
            trunc(&got.to_string())
        ));
    }
    if matches!(ex.status(), Status::Succeeded { .. }) {
        let mut want = exp.get("output").cloned().unwrap_or(Value::Null);
        let mut have = got.get("output").cloned().unwrap_or(Value::Null);
        for p in exp
            .get("ignore")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = p.as_str() {
                pointer_delete(&mut want, p);
                pointer_delete(&mut have, p);
            }
        }
        if !json_eq(&want, &have) {
            return Err(format!(
                "output differs: got {} want {}",
                trunc(&have.to_string()),
                trunc(&want.to_string())
            ));
        }
    } else {
        if let Some(e) = exp.get("error")
            && got.get("error") != Some(e)
        {
            return Err(format!("error {:?} != {e}", got.get("error")));
        }
        if let Some(c) = exp.get("cause")
            && got.get("cause") != Some(c)
        {
            return Err(format!(
                "cause {} != {}",
                trunc(&got.get("cause").cloned().unwrap_or_default().to_string()),
                trunc(&c.to_string())
            ));
        }
    }
    Ok(())
}

fn trunc(s: &str) -> String {
    if s.len() > 300 {
        format!("{}…", &s[..s.floor_char_boundary(300)])
    } else {
        s.to_string()
    }
}

fn known_failures() -> BTreeMap<String, String> {
    let text = include_str!("conformance-known-failures.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once(':').unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "known failure '{name}' needs a reason"
            );
            (name.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn conformance_corpus_matches_aws() {
    let dir = cases_dir();
    let known = known_failures();
    let mut per_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut seen = BTreeSet::new();
    let mut groups: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    for g in groups {
        let group = g.file_name().unwrap().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(&g)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let case: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let id = format!("{group}/{}", case["name"].as_str().unwrap_or(""));
            seen.insert(id.clone());
            let result = std::panic::catch_unwind(|| run_case(&case))
                .unwrap_or_else(|_| Err("panicked".into()));
            let entry = per_group.entry(group.clone()).or_default();
            entry.1 += 1;
            match (result, known.contains_key(&id)) {
                (Ok(()), false) => entry.0 += 1,
                (Ok(()), true) => {
                    entry.0 += 1;
                    fixed.push(id);
                }
                (Err(why), false) => unexpected.push(format!("{id}: {why}")),
                (Err(_), true) => {}
            }
        }
    }
    let (mut pass, mut total) = (0, 0);
    for (g, (p, t)) in &per_group {
        eprintln!("{g:<12} {p:>4}/{t:<4}");
        pass += p;
        total += t;
    }
    eprintln!(
        "conformance: {pass}/{total} passed, {} known failures",
        known.len()
    );
    let stale: Vec<_> = known.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "known failures that are not cases: {stale:?}"
    );
    assert!(
        fixed.is_empty(),
        "these cases now pass; remove them from tests/conformance-known-failures.txt:\n{}",
        fixed.join("\n")
    );
    assert!(
        unexpected.is_empty(),
        "{} cases fail that are not in the known-failures list:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
