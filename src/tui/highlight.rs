//! Syntax highlighting of the definition source with syntect (JSON and YAML), converted to
//! ratatui styles. Lines are highlighted incrementally (a big file colours in as the event
//! loop idles; lines not yet done draw plain), and the syntax set is built once.

use ratatui::style::{Color, Modifier, Style};
use std::ops::Range;
use std::sync::OnceLock;
use syntect::highlighting::{
    FontStyle, HighlightState, Highlighter, RangedHighlightIterator, Theme,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// syntect's style as a ratatui style (foreground and font style; the pane keeps its own
/// background so the current-state band shows through).
pub fn convert(s: syntect::highlighting::Style) -> Style {
    let mut out = Style::new().fg(Color::Rgb(s.foreground.r, s.foreground.g, s.foreground.b));
    if s.font_style.contains(FontStyle::BOLD) {
        out = out.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        out = out.add_modifier(Modifier::ITALIC);
    }
    if s.font_style.contains(FontStyle::UNDERLINE) {
        out = out.add_modifier(Modifier::UNDERLINED);
    }
    out
}

/// The highlighted lines of one text, computed up to some line.
pub struct Highlight {
    /// Per line: styled byte ranges within the line (without its newline).
    lines: Vec<Vec<(Style, Range<usize>)>>,
    parse: Option<(ParseState, HighlightState)>,
    /// Byte offset where the next line to highlight starts.
    next: usize,
    done: bool,
}

impl std::fmt::Debug for Highlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlight")
            .field("lines", &self.lines.len())
            .field("done", &self.done)
            .finish()
    }
}

impl Highlight {
    /// Start highlighting `text` as YAML (`yaml`) or JSON; `theme` None: no colours.
    pub fn new(yaml: bool, theme: Option<&Theme>) -> Highlight {
        let ss = syntaxes();
        let syntax = ss
            .find_syntax_by_extension(if yaml { "yaml" } else { "json" })
            .unwrap_or_else(|| ss.find_syntax_plain_text());
        let parse = theme.map(|t| {
            let h = Highlighter::new(t);
            (
                ParseState::new(syntax),
                HighlightState::new(&h, ScopeStack::new()),
            )
        });
        Highlight {
            lines: Vec::new(),
            done: parse.is_none(),
            parse,
            next: 0,
        }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Highlight up to `max_lines` more lines of `text` (the same text every call).
    pub fn advance(&mut self, text: &str, theme: Option<&Theme>, max_lines: usize) {
        let (Some((parse, hl)), Some(theme)) = (self.parse.as_mut(), theme) else {
            self.done = true;
            return;
        };
        let highlighter = Highlighter::new(theme);
        let ss = syntaxes();
        for _ in 0..max_lines {
            if self.next >= text.len() {
                self.done = true;
                return;
            }
            let end = text[self.next..]
                .find('\n')
                .map_or(text.len(), |i| self.next + i + 1);
            let line = &text[self.next..end];
            let content_len = line.trim_end_matches(['\n', '\r']).len();
            let Ok(ops) = parse.parse_line(line, ss) else {
                // A syntax definition failure: the rest draws plain.
                self.done = true;
                return;
            };
            let spans = RangedHighlightIterator::new(hl, &ops, line, &highlighter)
                .filter_map(|(style, _, range)| {
                    let r = range.start.min(content_len)..range.end.min(content_len);
                    (!r.is_empty()).then(|| (convert(style), r))
                })
                .collect();
            self.lines.push(spans);
            self.next = end;
        }
    }

    /// The styled ranges of line `n` (0-based), if highlighted yet.
    pub fn line(&self, n: usize) -> Option<&[(Style, Range<usize>)]> {
        self.lines.get(n).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_json_and_yaml() {
        let theme = crate::tui::theme::Theme::dark();
        let t = theme.syntax.as_ref();
        let json = "{\n  \"StartAt\": \"A\",\n  \"n\": 3\n}\n";
        let mut h = Highlight::new(false, t);
        h.advance(json, t, 2);
        assert!(!h.is_done());
        h.advance(json, t, 100);
        assert!(h.is_done());
        let l1 = h.line(1).unwrap();
        let colours: std::collections::HashSet<_> = l1.iter().map(|(s, _)| s.fg).collect();
        assert!(colours.len() >= 2, "key and string differ: {l1:?}");
        let yaml = "StartAt: A\nStates:\n  A:\n    Type: Pass\n";
        let mut h = Highlight::new(true, t);
        h.advance(yaml, t, 100);
        assert!(h.line(3).is_some());
        let mut plain = Highlight::new(false, None);
        plain.advance(json, None, 100);
        assert!(plain.is_done() && plain.line(0).is_none());
    }
}
