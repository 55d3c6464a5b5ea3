//! TOML configuration files (stepdbg.toml, keys.toml, theme palettes) through the `toml`
//! crate: real TOML, with every error and every value located by line and column.

pub use toml::Spanned;
pub use toml::de::{DeTable, DeValue};

/// A parsed file: its text (for locating) and its top-level table, in file order.
pub struct File<'a> {
    pub label: String,
    pub text: &'a str,
    pub table: DeTable<'a>,
}

/// Parse `text` (a leading byte-order mark is allowed); `label` names the file in errors.
pub fn parse<'a>(label: &str, text: &'a str) -> Result<File<'a>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match DeTable::parse(text) {
        Ok(t) => Ok(File {
            label: label.to_string(),
            text,
            table: t.into_inner(),
        }),
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            let (line, col) = line_col(text, at);
            Err(format!(
                "{label}:{line}:{col}: {}",
                e.message().trim_end().replace('\n', " ")
            ))
        }
    }
}

impl<'a> File<'a> {
    /// `label:line:col` of a byte offset.
    pub fn at(&self, offset: usize) -> String {
        let (line, col) = line_col(self.text, offset);
        format!("{}:{line}:{col}", self.label)
    }

    /// `label:line` of a byte offset.
    pub fn line_of(&self, offset: usize) -> String {
        format!("{}:{}", self.label, line_col(self.text, offset).0)
    }

    /// A top-level table by name (None when absent; an error when not a table).
    pub fn table(&self, name: &str) -> Result<Option<&DeTable<'a>>, String> {
        match self.table.get(name) {
            None => Ok(None),
            Some(v) => match v.get_ref() {
                DeValue::Table(t) => Ok(Some(t)),
                _ => Err(format!(
                    "{}: `{name}` must be a table",
                    self.at(v.span().start)
                )),
            },
        }
    }

    /// A string value, or a located error naming what was expected.
    pub fn string<'v>(&self, key: &str, v: &'v Spanned<DeValue<'a>>) -> Result<&'v str, String> {
        match v.get_ref() {
            DeValue::String(s) => Ok(s),
            _ => Err(format!(
                "{}: `{key}` must be a string",
                self.at(v.span().start)
            )),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..(0..=offset)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_located_and_bom_is_allowed() {
        let e = parse("f.toml", "a = 1\n[functions\nb = 2\n").err().unwrap();
        assert!(e.starts_with("f.toml:2:"), "{e}");
        let f = parse("f.toml", "\u{feff}[ functions ]\n'x' = 'y'\n").unwrap();
        assert!(f.table("functions").unwrap().is_some());
    }
}
