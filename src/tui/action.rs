//! One typed vocabulary for what a key can do: the [`Action`] enum is both what the app's
//! `update` understands and what the key map file (`~/.config/stepdbg/keys.toml`) names.
//!
//! ```toml
//! # action = "key"  or  action = ["key", "key"]; a listed action loses its default keys.
//! continue = ["F5", "c"]
//! step_over = ["F10", "n", "Ctrl-n"]
//! ```

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;
use std::path::{Path, PathBuf};

macro_rules! actions {
    ($( $variant:ident = $name:literal, $group:literal, $desc:literal, [$($key:literal),*] ;)*) => {
        /// Everything a key can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$variant,)*];

            /// The name used in the key map file.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// Where the help overlay lists it.
            pub fn group(self) -> &'static str {
                match self { $(Action::$variant => $group,)* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Action::$variant => $desc,)* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Action::$variant => &[$($key),*],)* }
            }

            /// Where the action's keys apply: in the panes, or while editing text (the
            /// command line, the history filter, the answer form).
            pub fn context(self) -> Context {
                if self.group() == "Edit" { Context::Edit } else { Context::Normal }
            }
        }
    };
}

actions! {
    Continue = "continue", "Run", "continue to a breakpoint, a pending task or the end", ["F5", "c"];
    StepOver = "step_over", "Run", "step over: finish the current state (Map/Parallel run whole)", ["F10", "n"];
    StepInto = "step_into", "Run", "step into: one engine transition", ["F11", "s"];
    StepOut = "step_out", "Run", "step out of the current branch or iteration", ["Shift-F11", "o"];
    StepBack = "step_back", "Run", "step back one transition (replay)", ["p"];
    Restart = "restart", "Run", "restart the execution (breakpoints stay)", ["r"];
    Pause = "pause", "Run", "pause a running continue; close a dialog", ["Esc", "Ctrl-c"];
    ToggleBreakpoint = "toggle_breakpoint", "Run", "toggle a breakpoint on the selected state", ["F9", "b"];
    Follow = "follow", "Run", "jump back to the current state and follow execution", ["f"];
    AdvanceTime = "advance", "Run", "move the virtual clock to the next deadline (Wait end, Retry back-off, timeout, heartbeat)", ["t"];
    SendSuccess = "send_success", "Pending", "send task success (JSON editor)", ["S"];
    SendFailure = "send_failure", "Pending", "send task failure (error, cause)", ["X"];
    SendHeartbeat = "send_heartbeat", "Pending", "send a heartbeat for the selected task", ["H"];
    Up = "up", "Move", "move up", ["k", "Up"];
    Down = "down", "Move", "move down", ["j", "Down"];
    Left = "left", "Move", "fold / go to parent", ["h", "Left"];
    Right = "right", "Move", "unfold / go to first child", ["l", "Right"];
    PageUp = "page_up", "Move", "page up", ["PageUp", "Ctrl-u"];
    PageDown = "page_down", "Move", "page down", ["PageDown", "Ctrl-d"];
    Top = "top", "Move", "go to the top", ["g", "Home"];
    Bottom = "bottom", "Move", "go to the bottom", ["G", "End"];
    Select = "select", "Move", "inspect / fold / open the selected item", ["Enter", "Space"];
    PrevStep = "prev_step", "Move", "inspect the previous step", ["["];
    NextStep = "next_step", "Move", "inspect the next step", ["]"];
    ExpandAll = "expand_all", "Move", "unfold every JSON node", ["E"];
    CollapseAll = "collapse_all", "Move", "fold every JSON node", ["C"];
    Filter = "filter", "Move", "filter the history (type to filter, Enter to keep)", ["/"];
    FocusNext = "focus_next", "Window", "focus the next pane", ["Tab"];
    FocusPrev = "focus_prev", "Window", "focus the previous pane", ["Shift-Tab"];
    FocusStates = "focus_states", "Window", "focus States", ["1"];
    FocusDefinition = "focus_definition", "Window", "focus Definition", ["2"];
    FocusInspector = "focus_inspector", "Window", "focus Inspector", ["3"];
    FocusHistory = "focus_history", "Window", "focus History", ["4"];
    FocusPending = "focus_pending", "Window", "focus Pending", ["5"];
    FocusVariables = "focus_variables", "Window", "focus Variables/Context", ["6"];
    View = "view", "Window", "show the selected value (or a message cut short) whole in a scrollable viewer", ["v"];
    Copy = "copy", "Window", "copy the selected value (or the viewer's text) to the clipboard (OSC 52)", ["y"];
    Zoom = "zoom", "Window", "zoom the focused pane (again to restore)", ["z"];
    ToggleGraph = "toggle_graph", "Window", "show the States pane as a graph of the machine, or as a list again", ["m"];
    FoldFrame = "fold_frame", "Window", "in the graph: fold the selected Map or Parallel into one box, or unfold it (C/E: all)", ["x"];
    CommandLine = "command_line", "Window", "command line (break, delete, goto, input, export, theme)", [":"];
    Help = "help", "Window", "this help", ["?"];
    Quit = "quit", "Window", "quit (asks first while an execution is running)", ["q"];
    Accept = "accept", "Edit", "run the command line; keep the filter; on a form's last field, send", ["Enter"];
    Cancel = "cancel", "Edit", "close the command line, filter or form without doing anything", ["Esc"];
    Send = "send", "Edit", "send the form", ["Ctrl-s", "F2", "Alt-Enter"];
    NextField = "next_field", "Edit", "next form field; complete a command or state name", ["Tab"];
    PrevField = "previous_field", "Edit", "previous form field", ["Shift-Tab"];
    Older = "older", "Edit", "the previous command line (leave the filter, move up)", ["Up"];
    Newer = "newer", "Edit", "the next command line (leave the filter, move down)", ["Down"];
}

/// Where a key means an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The panes and overlays.
    Normal,
    /// Editing text: other keys are typed.
    Edit,
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key with its modifiers, normalised so that `G` and `Shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::SHIFT | KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match code {
            KeyCode::Char(c) => {
                // The character already says whether Shift was held.
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    /// `F5`, `c`, `Ctrl-c`, `Shift-F11`, `Enter`, `Space`, `Shift-Tab`, `PageUp`, ...
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") && rest.len() > 6 {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                let n: u8 = f[1..].parse().unwrap_or(0);
                if !(1..=24).contains(&n) {
                    return Err(format!("unknown key '{text}'"));
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key '{text}'")),
                }
            }
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Keys to actions.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        for &a in Action::ALL {
            for k in a.default_keys() {
                bindings.push((Key::parse(k).expect("default keys parse"), a));
            }
        }
        Keymap { bindings }
    }
}

impl Keymap {
    /// What `key` does in the panes.
    pub fn action(&self, key: Key) -> Option<Action> {
        self.action_in(key, Context::Normal)
    }

    /// What `key` does in `context`.
    pub fn action_in(&self, key: Key, context: Context) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(k, a)| *k == key && a.context() == context)
            .map(|(_, a)| *a)
    }

    pub fn keys(&self, action: Action) -> Vec<Key> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// `F5/c`: the keys of an action as the hint bar and help show them.
    pub fn label(&self, action: Action, max: usize) -> String {
        let keys: Vec<String> = self
            .keys(action)
            .iter()
            .take(max)
            .map(Key::to_string)
            .collect();
        keys.join("/")
    }

    /// Replace the keys of `action` (and take those keys away from any other action of its
    /// context).
    pub fn bind(&mut self, action: Action, keys: &[Key]) {
        let context = action.context();
        self.bindings
            .retain(|(k, a)| *a != action && !(keys.contains(k) && a.context() == context));
        for k in keys {
            self.bindings.push((*k, action));
        }
    }

    /// Apply a key map file's text (TOML: `action = "key"` or `action = ["key", ...]`, at
    /// the top level or under `[keys]`). Errors name the line and column.
    pub fn apply_config(&mut self, text: &str) -> Result<(), String> {
        self.apply_file("keys.toml", text)
    }

    /// [`Keymap::apply_config`] with the file's name for messages.
    pub fn apply_file(&mut self, label: &str, text: &str) -> Result<(), String> {
        use crate::shell::toml::DeValue;
        let file = crate::shell::toml::parse(label, text)?;
        let mut entries = Vec::new();
        for (k, v) in &file.table {
            match v.get_ref() {
                DeValue::Table(t) => entries.extend(t.iter()),
                _ => entries.push((k, v)),
            }
        }
        for (name, value) in entries {
            let at = |m: String| format!("{}: {m}", file.at(name.span().start));
            let action = Action::from_name(name.get_ref()).ok_or_else(|| {
                at(format!(
                    "unknown action '{}' (see `?` in the debugger for the names)",
                    name.get_ref()
                ))
            })?;
            let texts: Vec<&str> = match value.get_ref() {
                DeValue::String(s) => vec![s.as_ref()],
                DeValue::Array(items) => items
                    .iter()
                    .map(|i| match i.get_ref() {
                        DeValue::String(s) => Ok(s.as_ref()),
                        _ => Err(at("keys must be strings".into())),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(at("expected \"key\" or [\"key\", ...]".into())),
            };
            let keys = texts
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(at)?;
            self.bind(action, &keys);
        }
        Ok(())
    }

    /// The default key map with the user's file applied, if there is one. A broken file is
    /// reported and ignored (the defaults stay).
    pub fn load_user() -> (Keymap, Option<String>) {
        let mut km = Keymap::default();
        let Some(path) = user_keys_path() else {
            return (km, None);
        };
        if !path.exists() {
            return (km, None);
        }
        let text = match crate::shell::read::text(
            &path,
            crate::shell::read::MAX_CONFIG_BYTES,
            crate::shell::read::Kind::RegularOnly,
        ) {
            Ok(t) => t,
            Err(e) => return (km, Some(format!("{}: {e}", path.display()))),
        };
        match km.apply_file(&path.display().to_string(), &text) {
            Ok(()) => (km, None),
            Err(e) => (Keymap::default(), Some(format!("{}: {e}", path.display()))),
        }
    }
}

/// `$XDG_CONFIG_HOME/stepdbg/keys.toml`, else `~/.config/stepdbg/keys.toml`.
pub fn user_keys_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("stepdbg").join("keys.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print() {
        for k in [
            "F5",
            "c",
            "Ctrl-c",
            "Shift-F11",
            "Enter",
            "Space",
            "Shift-Tab",
            "G",
            "?",
        ] {
            assert_eq!(Key::parse(k).unwrap().to_string(), k);
        }
        assert_eq!(
            Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Key::parse("G").unwrap()
        );
        assert!(Key::parse("F99").is_err());
        assert!(Key::parse("nope").is_err());
    }

    #[test]
    fn every_action_has_a_default_key_and_no_key_is_bound_twice() {
        let km = Keymap::default();
        for &a in Action::ALL {
            assert!(!km.keys(a).is_empty(), "{a} has no key");
        }
        let mut seen = std::collections::HashSet::new();
        for (k, a) in &km.bindings {
            assert!(
                seen.insert((*k, a.context())),
                "{k} bound twice (again to {a})"
            );
        }
    }

    #[test]
    fn config_rebinds_actions() {
        let mut km = Keymap::default();
        km.apply_config(
            "# mine\n[keys]\ncontinue = [\"F8\", \"c\"] # comment\nstep_over = \"x\"\n",
        )
        .unwrap();
        assert_eq!(km.action(Key::parse("F8").unwrap()), Some(Action::Continue));
        assert_eq!(km.action(Key::parse("F5").unwrap()), None);
        assert_eq!(km.action(Key::parse("x").unwrap()), Some(Action::StepOver));
        assert_eq!(km.action(Key::parse("n").unwrap()), None);
        let e = km.apply_config("warp = \"w\"").unwrap_err();
        assert!(e.contains("keys.toml:1:1") && e.contains("warp"), "{e}");
        assert!(km.apply_config("quit = q").is_err());
        // Real TOML: single quotes, multi-line arrays, comments after values.
        km.apply_config("continue = [\n  'F8', # the old one\n  'c',\n]\nquit = 'Q'\n")
            .unwrap();
        assert_eq!(km.action(Key::parse("Q").unwrap()), Some(Action::Quit));
        let e = km.apply_config("[keys\n").unwrap_err();
        assert!(e.starts_with("keys.toml:1:"), "{e}");
    }
}
