//! `stepdbg project --format json` over the 86 real SAM/CloudFormation projects of
//! `tests/data/projects` (a copy of `../shared/projects`), compared with the
//! `expected.json` each carries: the state machines, their definition files, their state
//! counts, and which template function each Task state calls (with its handler file).
//! Function source code is not in the corpus, so each project is copied to a temporary
//! folder with an empty stand-in at every handler path the expectations name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use stepdbg::json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/projects/sam")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// (function logical id or the reference text when it is no function of the template) →
/// the states that call it, for one state machine.
fn calls(functions: &Value, id_key: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in functions.as_array().into_iter().flatten() {
        let key = match f[id_key].as_str() {
            Some(id) => id.to_string(),
            None => format!("unmapped {}", f["referencedAs"].as_str().unwrap_or("?")),
        };
        let states = out.entry(key).or_default();
        states.extend(
            f["states"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
        states.sort();
        states.dedup();
    }
    out
}

/// Differences that are not stepdbg's to fix, each with its reason. The test fails when
/// one of these stops happening, so the list only shrinks.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "shared-fallback-state-jsonata/StateMachine: 4 states, expected 5",
    "its States holds \"QueryLanguage\": \"JSONata\", a top-level field written inside States: \
     expected.json counts it as a fifth state; stepdbg counts the four states and reports the \
     misplaced field as an error that says where it belongs",
)];

/// A path stepdbg gives relative to the template's folder, relative to the project (as
/// expected.json has them) when the template sits in a subfolder.
fn from_project(template_dir: &Path, v: &Value) -> Value {
    match v.as_str() {
        Some(p) => Value::from(template_dir.join(p).display().to_string()),
        None => Value::Null,
    }
}

/// Every difference between what stepdbg resolved and what the project's expected.json says.
fn compare(name: &str, template_dir: &Path, expected: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let by_id = |v: &Value| -> BTreeMap<String, Value> {
        v["stateMachines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|sm| {
                (
                    sm["logicalId"].as_str().unwrap_or("").to_string(),
                    sm.clone(),
                )
            })
            .collect()
    };
    let want = by_id(expected);
    let have = by_id(got);
    if want.keys().collect::<Vec<_>>() != have.keys().collect::<Vec<_>>() {
        diffs.push(format!(
            "{name}: state machines {:?}, expected {:?}",
            have.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        ));
        return diffs;
    }
    let handler_files: BTreeMap<String, Value> = got["functions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["logicalId"].as_str().unwrap_or("").to_string(),
                from_project(template_dir, &f["handlerFile"]),
            )
        })
        .collect();
    for (id, w) in &want {
        let h = &have[id];
        let definition_file = from_project(template_dir, &h["definitionFile"]);
        if w["definitionFile"] != definition_file {
            diffs.push(format!(
                "{name}/{id}: definition file {definition_file}, expected {}",
                w["definitionFile"]
            ));
        }
        if w["stateCount"] != h["stateCount"] {
            diffs.push(format!(
                "{name}/{id}: {} states, expected {} ({})",
                h["stateCount"], w["stateCount"], h["error"]
            ));
        }
        let (wc, hc) = (
            calls(&w["functions"], "logicalId"),
            calls(&h["functions"], "logicalId"),
        );
        if wc != hc {
            diffs.push(format!("{name}/{id}: calls {hc:?}, expected {wc:?}"));
        }
        for f in w["functions"].as_array().into_iter().flatten() {
            let Some(fid) = f["logicalId"].as_str() else {
                continue;
            };
            let got_file = handler_files.get(fid).cloned().unwrap_or(Value::Null);
            if f["handlerFile"] != got_file {
                diffs.push(format!(
                    "{name}/{id}: {fid}'s handler file {got_file}, expected {}",
                    f["handlerFile"]
                ));
            }
        }
    }
    diffs
}

#[test]
fn every_project_resolves_as_its_expected_json_says() {
    let dir = corpus();
    assert!(
        dir.is_dir(),
        "{} is missing (scripts/test-data.sh)",
        dir.display()
    );
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    projects.sort();
    assert_eq!(projects.len(), 86);
    let tmp = tempfile::tempdir().unwrap();
    let mut diffs: Vec<String> = Vec::new();
    let mut agreed = 0;
    for p in &projects {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("expected.json")).unwrap())
                .unwrap();
        let copy = tmp.path().join(&name);
        copy_dir(p, &copy);
        // Stand-ins for the handler code the corpus leaves out.
        for f in expected["functions"].as_array().into_iter().flatten() {
            if let Some(file) = f["handlerFile"].as_str() {
                let path = copy.join(file);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                if !path.exists() {
                    std::fs::write(&path, "").unwrap();
                }
            }
        }
        let template_rel = Path::new(expected["template"].as_str().unwrap());
        let template = copy.join(template_rel);
        let out = Command::new(env!("CARGO_BIN_EXE_stepdbg"))
            .args(["project", "--format", "json"])
            .arg(&template)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if expected["templateParses"] == false {
            // Not valid YAML (SAM CLI refuses it too): a located error, at the line the
            // corpus records.
            let line = expected["yamlError"]["line"].as_u64().unwrap();
            if out.status.code() == Some(2) && stderr.contains(&format!(":{line}:")) {
                agreed += 1;
            } else {
                diffs.push(format!(
                    "{name}: expected a located YAML error at line {line}; got exit {:?}: {stderr}",
                    out.status.code()
                ));
            }
            continue;
        }
        if !out.status.success() {
            diffs.push(format!("{name}: exit {:?}: {stderr}", out.status.code()));
            continue;
        }
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let d = compare(&name, template_rel.parent().unwrap(), &expected, &got);
        if d.is_empty() {
            agreed += 1;
        }
        diffs.extend(d);
    }
    println!(
        "{agreed}/{} projects agree with their expected.json",
        projects.len()
    );
    for (diff, why) in EXCEPTIONS {
        assert!(
            diffs.iter().any(|d| d.starts_with(diff)),
            "the known difference '{diff}' ({why}) no longer happens: remove it from EXCEPTIONS"
        );
    }
    diffs.retain(|d| !EXCEPTIONS.iter().any(|(e, _)| d.starts_with(e)));
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn a_template_is_told_from_a_definition_by_its_top_level_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // A definition whose strings mention template keys (escaped quotes included).
        (
            "def.json",
            r#"{"Comment": "not \"Resources\": here", "StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"Resources": 1}, "End": true}}}"#,
            false,
        ),
        (
            "sam.json",
            r#"{"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}"#,
            true,
        ),
        (
            "cfn.yaml",
            "AWSTemplateFormatVersion: '2010-09-09'\r\nResources:\r\n  M:\r\n    Type: AWS::StepFunctions::StateMachine\r\n",
            true,
        ),
        (
            "def.yaml",
            "# a comment\nStartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n",
            false,
        ),
        (
            "serverless.yml",
            "service: orders\nprovider:\n  name: aws\n",
            true,
        ),
        // States decides: the scan stops there (what follows is not read).
        (
            "states-first.json",
            r#"{"States": {"A": {"Type": "Pass", "End": true}}, "StartAt": "A", "Resources": {}}"#,
            false,
        ),
        (
            "states-service.yaml",
            "service: x\nprovider: aws\nStartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n",
            false,
        ),
        // Flow-style YAML: no quoted keys, so it is parsed to be sure.
        (
            "flow.yaml",
            "{Resources: {M: {Type: 'AWS::StepFunctions::StateMachine'}}}\n",
            true,
        ),
        (
            "\u{feff}bom.json",
            "\u{feff}{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}}}",
            false,
        ),
    ];
    for (name, text, template) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        assert_eq!(
            stepdbg::project::looks_like_template(&p),
            template,
            "{name}"
        );
    }
}
