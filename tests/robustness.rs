//! Bad input never crashes: thousands of mangled definitions (truncated, bytes flipped,
//! brackets and quotes inserted) go through loading, validation and, when still valid, a
//! bounded run. A fixed seed keeps the corpus the same on every run.

use std::path::Path;
use std::sync::Arc;
use stepdbg::asl::source::{Format, parse_text};
use stepdbg::asl::{Definition, Severity};
use stepdbg::engine::{Config, Execution, Step, WorkflowType};

/// xorshift64*: small, deterministic, good enough to mangle text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mangle(text: &str, rng: &mut Rng) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            break;
        }
        match rng.below(5) {
            0 => b.truncate(rng.below(b.len())),
            1 => {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(b.len());
                let piece = [
                    b"{".as_slice(),
                    b"[",
                    b"\"",
                    b"}",
                    b"]",
                    b",",
                    b"$.",
                    b"{%",
                    b"States.",
                ][rng.below(9)];
                b.splice(i..i, piece.iter().copied());
            }
            3 => {
                let (i, j) = (rng.below(b.len()), rng.below(b.len()));
                let (lo, hi) = (i.min(j), i.max(j));
                b.drain(lo..hi.min(lo + 40));
            }
            _ => {
                let i = rng.below(b.len());
                let dup: Vec<u8> = b[i..(i + 30).min(b.len())].to_vec();
                b.splice(i..i, dup);
            }
        }
    }
    b
}

/// Run a valid definition a bounded number of steps, answering tasks with `{}`.
fn run_bounded(def: &Definition) {
    let cfg = Config {
        workflow_type: WorkflowType::Express,
        ..Config::default()
    };
    let mut ex = Execution::new(
        Arc::new(def.machine.clone()),
        stepdbg::json!({"a": [1, 2], "b": "x"}),
        cfg,
    );
    for _ in 0..2_000 {
        match ex.step() {
            Step::Task(req) => {
                ex.resolve_task(
                    req.id,
                    stepdbg::engine::TaskOutcome::Success(stepdbg::json!({})),
                );
            }
            Step::Sleeping { until } => ex.advance_to(until),
            Step::Blocked | Step::Finished => break,
            Step::Progressed { .. } => {}
        }
    }
}

#[test]
fn mangled_definitions_never_crash_the_loader_validator_or_engine() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    // STEPDBG_FUZZ_SEED explores other corpora locally; CI uses the fixed one.
    let seed = std::env::var("STEPDBG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_5EED_5EED_5EED);
    let mut rng = Rng(seed | 1);
    let (mut loaded, mut valid) = (0, 0);
    for entry in std::fs::read_dir(&samples).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let format = if name.ends_with(".asl.json") {
            Format::Json
        } else if name.ends_with(".asl.yaml") {
            Format::Yaml
        } else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for _ in 0..1000 {
            let bytes = mangle(&text, &mut rng);
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let Ok(doc) = parse_text(Path::new(&name), text, format) else {
                continue;
            };
            loaded += 1;
            let def = Definition::from_document(doc);
            for d in &def.diagnostics {
                // Rendering every diagnostic must work too (spans inside the text).
                let _ = d.render(&def.doc, false);
                let _ = d.one_line(&def.doc);
            }
            if !def
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Error)
            {
                valid += 1;
                run_bounded(&def);
            }
        }
    }
    eprintln!("{loaded} mangled definitions parsed, {valid} still valid and run");
    assert!(
        loaded > 100,
        "enough mangled files still parse to exercise the validator ({loaded})"
    );
    assert!(
        valid > 10,
        "and some stay valid to exercise the engine ({valid})"
    );
}

#[test]
fn random_expressions_never_crash_the_parsers() {
    use stepdbg::expr::{intrinsics, jsonata::JsonataExpr, jsonpath::JsonPath};
    let seed = std::env::var("STEPDBG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xFACE_FEED_u64);
    let mut rng = Rng(seed | 1);
    let alphabet: Vec<char> =
        "$.[]()'\"\\,:?*@=<>!&|{}%^~ab0123-+/#States.Format ArrayMathAdd $states.input"
            .chars()
            .collect();
    let doc = stepdbg::json!({"a": [1, {"b": "x", "c": [null, true]}], "b": {"a": 2}, "s": "t"});
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = rng.below(40);
        let text: String = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        if let Ok(p) = JsonPath::parse(&text) {
            parsed += 1;
            let _ = p.select(&doc);
            let _ = p.write(&mut doc.clone(), stepdbg::json!(1));
        }
        let _ = intrinsics::parse(&text);
        let _ = JsonataExpr::parse(&text);
    }
    assert!(parsed > 0);
}

fn random_json(rng: &mut Rng, depth: usize) -> stepdbg::json::Value {
    use stepdbg::json;
    use stepdbg::json::Value;
    match if depth > 3 {
        rng.below(5)
    } else {
        rng.below(7)
    } {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.below(1000) as i64 - 500),
        3 => json!(["", "x", "2024-01-01T00:00:00Z", "APPROVED", "$.a", "{}"][rng.below(6)]),
        4 => json!(rng.below(1000) as f64 / 7.0),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "a", "items", "lines", "review", "decision", "amount", "orderId", "Payload",
                "upload", "key", "bucket",
            ];
            Value::Object(
                (0..rng.below(5))
                    .map(|_| {
                        (
                            keys[rng.below(keys.len())].to_string(),
                            random_json(rng, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
    }
}

#[test]
fn samples_survive_random_inputs() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut rng = Rng(0xA11C_E5ED);
    for entry in std::fs::read_dir(&samples).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !(name.ends_with(".asl.json") || name.ends_with(".asl.yaml")) {
            continue;
        }
        let def = stepdbg::asl::load(&entry.path()).unwrap();
        let m = Arc::new(def.machine.clone());
        for _ in 0..200 {
            let input = random_json(&mut rng, 0);
            let mut ex = Execution::new(m.clone(), input, Config::default());
            let mut steps = 0;
            loop {
                steps += 1;
                if steps > 5_000 {
                    break;
                }
                match ex.step() {
                    Step::Task(req) => {
                        let answer = random_json(&mut rng, 0);
                        ex.resolve_task(req.id, stepdbg::engine::TaskOutcome::Success(answer));
                    }
                    Step::Sleeping { until } => ex.advance_to(until),
                    Step::Blocked | Step::Finished => break,
                    Step::Progressed { .. } => {}
                }
            }
            // Whatever happened is an ASL outcome, printable as `run` prints it.
            let _ = ex.status().to_json();
        }
    }
}
