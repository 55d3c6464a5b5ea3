//! The `:` commands, from one table: parsing, Tab completion and the help overlay all read
//! [`COMMANDS`], so what is offered, what is accepted and what is documented cannot drift.

/// What a command's argument is (for completion and parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    /// A state name, completed from the definition.
    State,
    /// A state name, then optionally `if EXPR`.
    StateCondition,
    /// Free text (JSON, a path, a name).
    Text,
}

/// One command: its name, aliases, argument, usage and help text.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub arg: Arg,
    /// The arguments as the help shows them.
    pub usage: &'static str,
    pub help: &'static str,
}

impl Spec {
    fn answers_to(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }

    /// `break STATE [if EXPR]`.
    pub fn synopsis(&self) -> String {
        if self.usage.is_empty() {
            self.name.to_string()
        } else {
            format!("{} {}", self.name, self.usage)
        }
    }
}

/// Every command, in the order the help lists them.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "break",
        aliases: &["b"],
        arg: Arg::StateCondition,
        usage: "[STATE [rule|catch|retry N] [after N] [if EXPR] [log MESSAGE]]",
        help: "breakpoint on STATE's entry, or when its Choice rule N chooses, its Catch N catches, its Retry N retries; after N hits, if EXPR holds (JSONPath or JSONata); with log, a log point that logs MESSAGE ({EXPR} evaluated) and goes on; alone: list them",
    },
    Spec {
        name: "tbreak",
        aliases: &[],
        arg: Arg::StateCondition,
        usage: "STATE [if EXPR]",
        help: "a one-shot breakpoint: deleted when it first stops",
    },
    Spec {
        name: "delete",
        aliases: &["d"],
        arg: Arg::Text,
        usage: "[N]",
        help: "delete breakpoint N (no N: all)",
    },
    Spec {
        name: "catch",
        aliases: &[],
        arg: Arg::Text,
        usage: "[failure|caught|retry|pending] [off]",
        help: "pause on failures, caught errors, retries or pending tasks (failure and pending are on)",
    },
    Spec {
        name: "goto",
        aliases: &["g", "until"],
        arg: Arg::State,
        usage: "STATE",
        help: "run until STATE is about to be entered",
    },
    Spec {
        name: "eval",
        aliases: &["print", "p"],
        arg: Arg::Text,
        usage: "EXPR",
        help: "evaluate JSONPath ($.a, $$.Execution, $var), an intrinsic (States.Format(...)) or JSONata at the current state",
    },
    Spec {
        name: "watch",
        aliases: &[],
        arg: Arg::Text,
        usage: "[EXPR]",
        help: "re-evaluate EXPR at every stop (Variables pane); alone: list the watches",
    },
    Spec {
        name: "unwatch",
        aliases: &[],
        arg: Arg::Text,
        usage: "[N]",
        help: "remove watch N (no N: all)",
    },
    Spec {
        name: "set",
        aliases: &[],
        arg: Arg::Text,
        usage: "input JSON | $NAME JSON",
        help: "edit the input the next state gets, or a workflow variable, then go on (JSON or file://PATH)",
    },
    Spec {
        name: "advance",
        aliases: &[],
        arg: Arg::Text,
        usage: "[DURATION|next]",
        help: "move the virtual clock (30s, 2h, 1d) or to the next deadline; timers on the way fire",
    },
    Spec {
        name: "input",
        aliases: &[],
        arg: Arg::Text,
        usage: "[JSON|file://PATH]",
        help: "restart with this input (alone: with the same input)",
    },
    Spec {
        name: "export",
        aliases: &[],
        arg: Arg::Text,
        usage: "PATH | mocks FILE [TEST_CASE] | recorded FILE | graph FILE",
        help: "write the history as GetExecutionHistory JSON; or every answer so far as a mock file test case (merged; default case: recorded); or a replay's recording; or the graph with this run on it (.svg, .dot, else Mermaid)",
    },
    Spec {
        name: "save",
        aliases: &[],
        arg: Arg::Text,
        usage: "PATH",
        help: "save the session (input, answers, breakpoints) to replay later",
    },
    Spec {
        name: "load",
        aliases: &[],
        arg: Arg::Text,
        usage: "PATH",
        help: "replay a saved session",
    },
    Spec {
        name: "theme",
        aliases: &[],
        arg: Arg::Text,
        usage: "[NAME|PATH]",
        help: "dark, light, high-contrast, or a palette file",
    },
    Spec {
        name: "problems",
        aliases: &["diagnostics"],
        arg: Arg::None,
        usage: "",
        help: "every diagnostic of the definition, whole, in the viewer",
    },
    Spec {
        name: "messages",
        aliases: &[],
        arg: Arg::None,
        usage: "",
        help: "every message shown so far, whole, in the viewer",
    },
    Spec {
        name: "divergence",
        aliases: &[],
        arg: Arg::None,
        usage: "",
        help: "replay: where the local run first differs from the recording, both sides whole",
    },
    Spec {
        name: "recorded",
        aliases: &[],
        arg: Arg::None,
        usage: "",
        help: "replay: the events AWS recorded, one a line, the divergent one marked",
    },
    Spec {
        name: "restart",
        aliases: &[],
        arg: Arg::None,
        usage: "",
        help: "restart the execution (breakpoints stay)",
    },
    Spec {
        name: "help",
        aliases: &["h"],
        arg: Arg::None,
        usage: "",
        help: "every key and command",
    },
    Spec {
        name: "quit",
        aliases: &["q"],
        arg: Arg::None,
        usage: "",
        help: "quit (asks while an execution is running)",
    },
    Spec {
        name: "quit!",
        aliases: &["q!"],
        arg: Arg::None,
        usage: "",
        help: "quit without asking",
    },
];

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `break` alone lists the breakpoints.
    Break {
        state: Option<String>,
        condition: Option<String>,
        temporary: bool,
        /// Hits to let pass before stopping.
        after: Option<u64>,
        /// A log point: log this (`{EXPR}` evaluated) instead of stopping.
        log: Option<String>,
        /// A Choice rule, Catch or Retry of the state instead of its entry.
        at: crate::session::breakpoints::BreakAt,
    },
    Delete(Option<u32>),
    /// `catch` alone shows the settings.
    Catch {
        event: Option<String>,
        on: bool,
    },
    Goto(String),
    /// None: to the next deadline.
    Advance(Option<std::time::Duration>),
    Eval(String),
    /// `set input JSON`: what the next state gets.
    SetInput(String),
    /// `set $name JSON`.
    SetVariable(String, String),
    Watch(Option<String>),
    Unwatch(Option<usize>),
    Input(Option<String>),
    Export(String),
    /// `export mocks FILE [TEST_CASE]`.
    ExportMocks(String, String),
    /// `export recorded FILE`: a replay's recording as get-execution-history JSON.
    ExportRecorded(String),
    /// `export graph FILE`: the machine with this run on it (.svg, .dot, else Mermaid).
    ExportGraph(String),
    Save(String),
    Load(String),
    Theme(Option<String>),
    Problems,
    Messages,
    Divergence,
    Recorded,
    Restart,
    Help,
    Quit,
    ForceQuit,
}

/// Parse a command line; Ok(None) for an empty one.
pub fn parse(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    let Some(spec) = COMMANDS.iter().find(|c| c.answers_to(word)) else {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        return Err(format!(
            "unknown command '{word}': {} (:help lists them)",
            names.join(", ")
        ));
    };
    let usage = || format!("usage: {}", spec.synopsis());
    let required = |a: &str| -> Result<String, String> {
        if a.is_empty() {
            Err(usage())
        } else {
            Ok(a.to_string())
        }
    };
    let optional = |a: &str| (!a.is_empty()).then(|| a.to_string());
    Ok(Some(match spec.name {
        "break" | "tbreak" => {
            let (arg, log) = match arg.split_once(" log ") {
                Some((a, m)) => (a, Some(m.trim().to_string())),
                None => (arg, None),
            };
            let (head, condition) = match arg.split_once(" if ") {
                Some((s, c)) => (s, Some(c.trim().to_string())),
                None => (arg, None),
            };
            let (state, after) = match head.rsplit_once(" after ") {
                Some((s, n)) => (
                    unquote(s),
                    Some(n.trim().parse::<u64>().map_err(|_| usage())?),
                ),
                None => (unquote(head), None),
            };
            let (state, at) = break_at(&state);
            let temporary = spec.name == "tbreak";
            if temporary && state.is_empty() {
                return Err(usage());
            }
            Command::Break {
                state: optional(&state),
                condition,
                temporary,
                after,
                log,
                at,
            }
        }
        "delete" => Command::Delete(match arg {
            "" => None,
            n => Some(n.parse().map_err(|_| usage())?),
        }),
        "catch" => {
            let mut words = arg.split_whitespace();
            let event = words.next().map(str::to_string);
            Command::Catch {
                event,
                on: words.next() != Some("off"),
            }
        }
        "goto" => Command::Goto(required(&unquote(arg))?),
        "eval" => Command::Eval(required(arg)?),
        "set" => {
            let (what, json) = arg.split_once(' ').ok_or_else(usage)?;
            match what {
                "input" => Command::SetInput(json.trim().to_string()),
                v if v.starts_with('$') && v.len() > 1 => {
                    Command::SetVariable(v[1..].to_string(), json.trim().to_string())
                }
                _ => return Err(usage()),
            }
        }
        "watch" => Command::Watch(optional(arg)),
        "unwatch" => Command::Unwatch(match arg {
            "" | "all" => None,
            n => Some(n.parse().map_err(|_| usage())?),
        }),
        "advance" => Command::Advance(match arg {
            "" | "next" => None,
            d => Some(
                crate::engine::time::parse_duration(d).map_err(|e| format!("{e}; {}", usage()))?,
            ),
        }),
        "input" => Command::Input(optional(arg)),
        "export" => match arg.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["mocks", file] => Command::ExportMocks(file.to_string(), "recorded".into()),
            ["mocks", file, case] => Command::ExportMocks(file.to_string(), case.to_string()),
            ["mocks", ..] => return Err(usage()),
            ["recorded", file] => Command::ExportRecorded(file.to_string()),
            ["graph", file] => Command::ExportGraph(file.to_string()),
            _ => Command::Export(required(arg)?),
        },
        "save" => Command::Save(required(arg)?),
        "load" => Command::Load(required(arg)?),
        "theme" => Command::Theme(optional(arg)),
        "problems" => Command::Problems,
        "messages" => Command::Messages,
        "divergence" => Command::Divergence,
        "recorded" => Command::Recorded,
        "restart" => Command::Restart,
        "help" => Command::Help,
        "quit" => Command::Quit,
        _ => Command::ForceQuit,
    }))
}

/// `Approved? rule 1`, `Charge catch 0`, `Charge retry 0`: the state and where in it.
fn break_at(text: &str) -> (String, crate::session::breakpoints::BreakAt) {
    use crate::session::breakpoints::BreakAt;
    for word in [" rule ", " catch ", " retry "] {
        if let Some((state, n)) = text.rsplit_once(word)
            && let Ok(n) = n.trim().parse::<usize>()
        {
            let at = match word {
                " rule " => BreakAt::ChoiceRule(n),
                " catch " => BreakAt::Catch(n),
                _ => BreakAt::Retry(n),
            };
            return (unquote(state), at);
        }
    }
    (text.to_string(), BreakAt::Entry)
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').trim_matches('\'').to_string()
}

/// Tab completion: command names, then state names for the commands that take one.
pub fn complete(text: &str, state_names: &[String]) -> String {
    let Some((word, arg)) = text.split_once(' ') else {
        let names: Vec<String> = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .map(str::to_string)
            .collect();
        return match common_prefix(&names, text) {
            Some(p) if names.contains(&p) => format!("{p} "),
            Some(p) => p,
            None => text.to_string(),
        };
    };
    let takes_state = COMMANDS
        .iter()
        .find(|c| c.answers_to(word))
        .is_some_and(|c| matches!(c.arg, Arg::State | Arg::StateCondition));
    if !takes_state || arg.contains(" if ") {
        return text.to_string();
    }
    match common_prefix(state_names, arg) {
        Some(p) => format!("{word} {p}"),
        None => text.to_string(),
    }
}

/// The longest prefix shared by the candidates that start with `start`.
fn common_prefix(candidates: &[String], start: &str) -> Option<String> {
    let matches: Vec<&String> = candidates.iter().filter(|n| n.starts_with(start)).collect();
    let (first, rest) = matches.split_first()?;
    let mut prefix = (*first).clone();
    for m in rest {
        while !m.starts_with(&prefix) {
            prefix.pop();
        }
    }
    Some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_in_the_table_parses_and_completes() {
        for c in COMMANDS {
            let sample = match c.arg {
                Arg::None => c.name.to_string(),
                _ if c.name == "delete" => format!("{} 1", c.name),
                _ if c.name == "catch" => format!("{} retry", c.name),
                _ if c.name == "advance" => format!("{} 30s", c.name),
                _ if c.name == "unwatch" => format!("{} 1", c.name),
                _ if c.name == "set" => format!("{} $x 1", c.name),
                _ => format!("{} Something", c.name),
            };
            assert!(parse(&sample).unwrap().is_some(), "{sample}");
            for alias in c.aliases {
                let line = sample.replacen(c.name, alias, 1);
                assert_eq!(parse(&line).unwrap(), parse(&sample).unwrap(), "{line}");
            }
            // Completion offers only names the parser accepts.
            let done = complete(&c.name[..1], &[]);
            let word = done.trim_end();
            assert!(
                COMMANDS.iter().any(|d| d.name.starts_with(word)),
                "{word} completes to a command"
            );
        }
        assert!(parse("frobnicate").is_err());
        assert_eq!(parse("  ").unwrap(), None);
    }

    #[test]
    fn state_names_complete_after_commands_that_take_one() {
        let names = vec!["Charge card".to_string(), "Charge fee".to_string()];
        assert_eq!(complete("break Ch", &names), "break Charge ");
        assert_eq!(complete("tbreak Charge c", &names), "tbreak Charge card");
        assert_eq!(complete("until Charge f", &names), "until Charge fee");
        assert_eq!(complete("export Ch", &names), "export Ch");
        assert_eq!(complete("unt", &names), "until ");
        assert_eq!(complete("tb", &names), "tbreak ");
    }

    #[test]
    fn usage_errors_name_the_synopsis() {
        assert_eq!(
            parse("export").unwrap_err(),
            "usage: export PATH | mocks FILE [TEST_CASE] | recorded FILE | graph FILE"
        );
        assert_eq!(
            parse("export mocks a.json x").unwrap(),
            Some(Command::ExportMocks("a.json".into(), "x".into()))
        );
        assert_eq!(parse("delete x").unwrap_err(), "usage: delete [N]");
        assert_eq!(
            parse("break 'A' if $.x > 1").unwrap(),
            Some(Command::Break {
                state: Some("A".into()),
                condition: Some("$.x > 1".into()),
                temporary: false,
                after: None,
                log: None,
                at: crate::session::breakpoints::BreakAt::Entry,
            })
        );
        assert_eq!(
            parse("break Each item after 3 if $.x").unwrap(),
            Some(Command::Break {
                state: Some("Each item".into()),
                condition: Some("$.x".into()),
                temporary: false,
                after: Some(3),
                log: None,
                at: crate::session::breakpoints::BreakAt::Entry,
            })
        );
    }
}
