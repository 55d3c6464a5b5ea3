//! Whole-machine checks on a built model: transitions lead to existing states, state
//! names are unique across the machine, every state is reachable.

use super::diagnostic::Diagnostic;
use super::model::{Machine, StateKind};
use std::collections::HashMap;

/// Graph diagnostics for `machine` and, recursively, its sub-machines.
pub fn validate(machine: &Machine) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    check_machine(machine, &mut diags);
    // Sized for the top level (most machines' states), hashed as the model's index is.
    let mut seen: HashMap<&str, &str, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(machine.states.len(), Default::default());
    machine.walk(&mut |s| {
        if let Some(first) = seen.insert(&s.name, &s.pointer) {
            diags.push(
                Diagnostic::error(
                    "duplicate-state",
                    &*s.pointer,
                    format!("the state name '{}' is used more than once in this state machine", s.name),
                )
                .help(format!("state names must be unique across the whole machine, Map and Parallel included; the other one is at {first}"))
                .at_key(),
            );
        }
    });
    diags
}

fn check_machine(m: &Machine, diags: &mut Vec<Diagnostic>) {
    let names: Vec<&str> = m.states.iter().map(|s| &*s.name).collect();
    // A close name, never the state the transition starts from.
    let suggest = |name: &str, from: &str| -> Option<String> {
        names
            .iter()
            .filter(|n| **n != from)
            .map(|n| (strsim_distance(n, name), *n))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, n)| format!("did you mean '{n}'?"))
    };
    let mut found: Vec<Diagnostic> = Vec::new();
    let mut missing = |target: &str, pointer: String, what: &str| {
        let mut d = Diagnostic::error(
            "unknown-state",
            pointer,
            format!(
                "{what} '{target}' is not a state of this {}",
                if m.pointer.is_empty() {
                    "state machine"
                } else {
                    "branch"
                }
            ),
        );
        let from = d
            .pointer
            .rsplit_once("/States/")
            .and_then(|(_, rest)| rest.split('/').next())
            .unwrap_or("")
            .to_string();
        d.help =
            suggest(target, &from).or_else(|| Some(format!("known states: {}", names.join(", "))));
        found.push(d);
    };
    if !m.start_at.is_empty() && !m.index.contains_key(m.start_at.as_str()) {
        missing(&m.start_at, format!("{}/StartAt", m.pointer), "StartAt");
    }
    for s in &m.states {
        if let Some(t) = &s.next
            && t.index == usize::MAX
        {
            missing(&t.name, format!("{}/Next", s.pointer), "Next");
        }
        for (i, c) in s.catch.iter().enumerate() {
            if c.next.index == usize::MAX && !c.next.name.is_empty() {
                missing(
                    &c.next.name,
                    format!("{}/Catch/{i}/Next", s.pointer),
                    "Catch Next",
                );
            }
        }
        if let StateKind::Choice(c) = &s.kind {
            for b in &c.choices {
                if b.next.index == usize::MAX && !b.next.name.is_empty() {
                    missing(&b.next.name, format!("{}/Next", b.pointer), "Next");
                }
            }
            if let Some(d) = &c.default
                && d.index == usize::MAX
            {
                missing(&d.name, format!("{}/Default", s.pointer), "Default");
            }
        }
    }
    diags.append(&mut found);
    for s in &m.states {
        for sub in s.sub_machines() {
            check_machine(sub, diags);
        }
    }
    // Reachability from StartAt.
    let Some(start) = m.start() else { return };
    let mut reached = vec![false; m.states.len()];
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        let s = &m.states[i];
        let mut push = |idx: usize| {
            if idx != usize::MAX {
                stack.push(idx);
            }
        };
        if let Some(t) = &s.next {
            push(t.index);
        }
        for c in &s.catch {
            push(c.next.index);
        }
        if let StateKind::Choice(c) = &s.kind {
            for b in &c.choices {
                push(b.next.index);
            }
            if let Some(d) = &c.default {
                push(d.index);
            }
        }
    }
    for (i, s) in m.states.iter().enumerate() {
        if !reached[i] {
            diags.push(
                Diagnostic::warning(
                    "unreachable",
                    &*s.pointer,
                    format!(
                        "state '{}' can never be reached from StartAt '{}'",
                        s.name, m.start_at
                    ),
                )
                .help("no Next, Default, Choice or Catch leads here; remove it or link it")
                .at_key(),
            );
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
