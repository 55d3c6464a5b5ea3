//! UI palettes and syntax themes. The built-in ones live in `themes/` and are embedded in
//! the binary; a user theme is a palette file given by path (it may name a `.tmTheme`).
//! With `NO_COLOR` set, every colour is dropped and emphasis uses bold/reverse only.

use ratatui::style::{Color, Modifier, Style};
use std::path::Path;
use std::str::FromStr;

const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

const BUILTIN_SYNTAX: &[(&str, &str)] = &[
    (
        "stepdbg-dark",
        include_str!("../../themes/stepdbg-dark.tmTheme"),
    ),
    (
        "stepdbg-light",
        include_str!("../../themes/stepdbg-light.tmTheme"),
    ),
    (
        "stepdbg-high-contrast",
        include_str!("../../themes/stepdbg-high-contrast.tmTheme"),
    ),
];

/// The names of the built-in themes.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

macro_rules! palette {
    ($($field:ident),* $(,)?) => {
        /// Styles for everything the UI draws.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Palette {
            $(pub $field: Style,)*
        }

        impl Palette {
            const FIELDS: &[&str] = &[$(stringify!($field)),*];

            fn slot(&mut self, name: &str) -> Option<&mut Style> {
                match name {
                    $(stringify!($field) => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            fn blank() -> Palette {
                Palette { $($field: Style::new(),)* }
            }
        }
    };
}

palette!(
    base,
    dim,
    border,
    border_focus,
    title,
    title_focus,
    selection,
    current_line,
    current,
    visited,
    breakpoint,
    failed,
    pending,
    ok,
    warn,
    error,
    status,
    key,
    json_key,
    json_string,
    json_number,
    json_bool,
    json_null,
    added,
    changed,
    removed,
    gutter,
    tab,
    tab_active,
);

impl Palette {
    /// A status badge: the colour of `s` as background.
    pub fn badge(&self, s: Style, mono: bool) -> Style {
        if mono {
            return Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        let bg = s.fg.unwrap_or(Color::Reset);
        let fg = self.base.bg.unwrap_or(Color::Black);
        Style::new().fg(fg).bg(bg).add_modifier(Modifier::BOLD)
    }

    /// No colours at all (NO_COLOR): emphasis by modifiers.
    fn monochrome() -> Palette {
        let mut p = Palette::blank();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let rev = Style::new().add_modifier(Modifier::REVERSED);
        p.dim = Style::new().add_modifier(Modifier::DIM);
        p.title_focus = bold.add_modifier(Modifier::REVERSED);
        p.border_focus = bold;
        p.selection = rev;
        p.current_line = Style::new().add_modifier(Modifier::UNDERLINED);
        p.current = bold;
        p.breakpoint = bold;
        p.failed = bold;
        p.pending = bold;
        p.ok = bold;
        p.warn = bold;
        p.error = bold;
        p.status = rev;
        p.key = bold;
        p.json_key = bold;
        p.added = bold;
        p.changed = bold;
        p.removed = Style::new().add_modifier(Modifier::CROSSED_OUT);
        p.tab_active = rev;
        p
    }
}

/// A complete theme: palette and syntax colours.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub palette: Palette,
    /// None: no syntax colours (NO_COLOR).
    pub syntax: Option<syntect::highlighting::Theme>,
    pub mono: bool,
}

impl Theme {
    /// `NAME` (a built-in) or a path to a palette file; `mono` drops every colour.
    pub fn load(name_or_path: &str, mono: bool) -> Result<Theme, String> {
        if mono {
            return Ok(Theme::monochrome());
        }
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::from_text(text, None);
        }
        let path = Path::new(name_or_path);
        if path.is_file() {
            let text = crate::shell::read::text(
                path,
                crate::shell::read::MAX_CONFIG_BYTES,
                crate::shell::read::Kind::RegularOnly,
            )
            .map_err(|e| format!("theme {}: {e}", path.display()))?;
            return Theme::from_file(&path.display().to_string(), &text, path.parent());
        }
        Err(format!(
            "no theme '{name_or_path}': the built-in themes are {}, or give a palette file's path",
            builtin_names().join(", ")
        ))
    }

    pub fn dark() -> Theme {
        Theme::from_text(BUILTIN[0].1, None).expect("the built-in dark theme parses")
    }

    pub fn monochrome() -> Theme {
        Theme {
            name: "no-color".into(),
            palette: Palette::monochrome(),
            syntax: None,
            mono: true,
        }
    }

    /// Is NO_COLOR set (to anything non-empty)?
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// A palette file's text; `dir` anchors a relative `syntax` path.
    pub fn from_text(text: &str, dir: Option<&Path>) -> Result<Theme, String> {
        Theme::from_file("theme", text, dir)
    }

    /// [`Theme::from_text`] with the file's name for messages (`mine.toml:3:5: ...`).
    pub fn from_file(label: &str, text: &str, dir: Option<&Path>) -> Result<Theme, String> {
        let entries = parse_entries(label, text)?;
        let at = |k: &str| format!("{label}: {k}");
        let get = |k: &str| entries.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let extends = get("extends");
        let (mut palette, mut syntax_name) = match &extends {
            Some(base) => {
                let Some((_, t)) = BUILTIN.iter().find(|(n, _)| n == base) else {
                    return Err(format!("extends: no built-in theme '{base}'"));
                };
                let b = Theme::from_text(t, None)?;
                (b.palette, b.syntax)
            }
            None if get("name").as_deref() == Some("dark") => (Palette::blank(), None),
            None => {
                let b = Theme::dark();
                (b.palette, b.syntax)
            }
        };
        for (k, v) in &entries {
            if matches!(k.as_str(), "name" | "syntax" | "extends") {
                continue;
            }
            let style = parse_style(v).map_err(|e| format!("{}: {e}", at(k)))?;
            match palette.slot(k) {
                Some(slot) => *slot = style,
                None => {
                    return Err(format!(
                        "{label}: unknown entry '{k}' (entries: {})",
                        Palette::FIELDS.join(", ")
                    ));
                }
            }
        }
        if let Some(s) = get("syntax") {
            syntax_name = Some(load_syntax(&s, dir)?);
        }
        Ok(Theme {
            name: get("name").unwrap_or_else(|| "custom".into()),
            palette,
            syntax: syntax_name,
            mono: false,
        })
    }
}

fn load_syntax(name: &str, dir: Option<&Path>) -> Result<syntect::highlighting::Theme, String> {
    let text = match BUILTIN_SYNTAX.iter().find(|(n, _)| *n == name) {
        Some((_, t)) => (*t).to_string(),
        None => {
            let p = match dir {
                Some(d) if Path::new(name).is_relative() => d.join(name),
                _ => Path::new(name).to_path_buf(),
            };
            crate::shell::read::text(
                &p,
                crate::shell::read::MAX_CONFIG_BYTES,
                crate::shell::read::Kind::RegularOnly,
            )
            .map_err(|e| format!("syntax theme {}: {e}", p.display()))?
        }
    };
    let mut cursor = std::io::Cursor::new(text.as_bytes());
    syntect::highlighting::ThemeSet::load_from_reader(&mut cursor)
        .map_err(|e| format!("syntax theme {name}: {e}"))
}

/// The `name = "value"` entries of a palette file (TOML; entries under a table count as
/// top-level ones), in file order. Errors name the line and column.
fn parse_entries(label: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    use crate::shell::toml::DeValue;
    let file = crate::shell::toml::parse(label, text)?;
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for (k, v) in &file.table {
        match v.get_ref() {
            DeValue::Table(t) => entries.extend(t.iter()),
            _ => entries.push((k, v)),
        }
    }
    for (k, v) in entries {
        let value = file.string(k.get_ref(), v)?;
        out.push((k.get_ref().to_string(), value.to_string()));
    }
    Ok(out)
}

/// `bold #rrggbb on #rrggbb`.
fn parse_style(spec: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut words = spec.split_whitespace();
    while let Some(w) = words.next() {
        let m = match w {
            "bold" => Some(Modifier::BOLD),
            "italic" => Some(Modifier::ITALIC),
            "underline" | "underlined" => Some(Modifier::UNDERLINED),
            "reversed" | "reverse" => Some(Modifier::REVERSED),
            "dim" => Some(Modifier::DIM),
            _ => None,
        };
        if let Some(m) = m {
            style = style.add_modifier(m);
        } else if w == "on" {
            let c = words.next().ok_or("`on` needs a colour")?;
            style = style.bg(Color::from_str(c).map_err(|_| format!("bad colour '{c}'"))?);
        } else {
            style = style.fg(Color::from_str(w).map_err(|_| format!("bad colour '{w}'"))?);
        }
    }
    Ok(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_load() {
        for n in builtin_names() {
            let t = Theme::load(n, false).unwrap();
            assert_eq!(t.name, n);
            assert!(t.syntax.is_some());
            assert!(t.palette.base.bg.is_some(), "{n} sets a background");
        }
        let m = Theme::load("dark", true).unwrap();
        assert!(m.mono && m.syntax.is_none());
        assert_eq!(m.palette.base, Style::new());
    }

    #[test]
    fn user_theme_overrides_some_entries() {
        let dir = std::env::temp_dir().join(format!("stepdbg-theme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("mine.toml");
        std::fs::write(
            &p,
            "name = \"mine\"\nextends = \"light\"\nbreakpoint = \"bold #00ff00\"\n",
        )
        .unwrap();
        let t = Theme::load(p.to_str().unwrap(), false).unwrap();
        assert_eq!(t.name, "mine");
        assert_eq!(t.palette.breakpoint.fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(
            t.palette.base,
            Theme::load("light", false).unwrap().palette.base
        );
        std::fs::write(&p, "nonsense = \"red\"\n").unwrap();
        assert!(Theme::load(p.to_str().unwrap(), false).is_err());
        // Real TOML: single quotes, a table, comments after values; errors are located.
        std::fs::write(
            &p,
            "name = 'mine'\n[palette]\nbreakpoint = 'bold #00ff00' # green\n",
        )
        .unwrap();
        let t = Theme::load(p.to_str().unwrap(), false).unwrap();
        assert_eq!(t.palette.breakpoint.fg, Some(Color::Rgb(0, 255, 0)));
        std::fs::write(&p, "name = 'mine'\nbreakpoint = bold\n").unwrap();
        let e = Theme::load(p.to_str().unwrap(), false).unwrap_err();
        assert!(e.contains("mine.toml:2:"), "{e}");
        assert!(Theme::load("no-such-theme", false).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
