//! Located diagnostics from loading and validation, rendered like rustc (miette) or JSON.

use super::source::{Document, LineCol};
use crate::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Source lines longer than this (bytes) are not drawn by miette: see
/// [`Diagnostic::render_plain`].
const MAX_RENDERED_LINE: usize = 1000;
/// Characters shown on each side of the column in a plain rendering.
const PLAIN_CONTEXT: usize = 40;

/// One finding about a definition, anchored at a JSON Pointer into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short stable identifier, e.g. `missing-next`.
    pub code: &'static str,
    /// RFC 6901 pointer to the offending node.
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
    /// Point at the member's key rather than its value.
    pub at_key: bool,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
            at_key: false,
        }
    }

    pub fn warning(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, pointer, message)
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }

    /// The byte range this diagnostic points at in `doc`.
    pub fn byte_range(&self, doc: &Document) -> (usize, usize) {
        let node = doc.spans().nearest(&self.pointer);
        let span = match (self.at_key, node.key) {
            (true, Some(k)) => k,
            _ => node.value,
        };
        (span.start, span.end.max(span.start))
    }

    pub fn line_col(&self, doc: &Document) -> LineCol {
        doc.source.line_col(self.byte_range(doc).0)
    }

    /// `file:line:col: severity: message`, one line.
    pub fn one_line(&self, doc: &Document) -> String {
        let lc = self.line_col(doc);
        format!(
            "{}:{}:{}: {}: {}",
            doc.source.path.display(),
            lc.line,
            lc.col,
            self.severity.as_str(),
            self.message
        )
    }

    /// The report without miette: location, a window of the line around the column, the
    /// help. For lines too long to draw whole.
    pub fn render_plain(&self, doc: &Document) -> String {
        let (start, end) = self.byte_range(doc);
        let lc = doc.source.line_col(start);
        let line = doc.source.line_text(lc.line).unwrap_or("");
        let line_start = doc.source.line_start(lc.line).unwrap_or(0);
        let col_byte = (start - line_start).min(line.len());
        let from = (0..=col_byte.saturating_sub(PLAIN_CONTEXT))
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        let to = (col_byte + PLAIN_CONTEXT).min(line.len());
        let to = (to..=line.len())
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(line.len());
        let (pre, post) = (
            if from > 0 { "…" } else { "" },
            if to < line.len() { "…" } else { "" },
        );
        let excerpt = format!("{pre}{}{post}", &line[from..to]);
        let caret_at = pre.chars().count() + line[from..col_byte].chars().count();
        let span_end = (end - line_start).clamp(col_byte, to);
        let width = line
            .get(col_byte..span_end)
            .map_or(1, |s| s.chars().count())
            .max(1);
        let mut out = format!(
            "{}[{}]: {}\n  --> {}:{}:{} (at {})\n   | {excerpt}\n   | {}{}",
            self.severity.as_str(),
            self.code,
            self.message,
            doc.source.path.display(),
            lc.line,
            lc.col,
            if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            },
            " ".repeat(caret_at),
            "^".repeat(width.min(PLAIN_CONTEXT)),
        );
        if let Some(h) = &self.help {
            out.push_str(&format!("\n  help: {h}"));
        }
        out
    }

    pub fn to_json(&self, doc: &Document) -> crate::json::Value {
        let lc = self.line_col(doc);
        let (start, end) = self.byte_range(doc);
        json!({
            "severity": self.severity.as_str(),
            "code": self.code,
            "file": doc.source.path.display().to_string(),
            "line": lc.line,
            "column": lc.col,
            "offset": start,
            "length": end - start,
            "pointer": self.pointer,
            "message": self.message,
            "help": self.help,
        })
    }

    /// A rustc-style report with the source excerpt (colour when `color`). Source lines
    /// too long to show (a minified definition) get [`Diagnostic::render_plain`] instead.
    pub fn render(&self, doc: &Document, color: bool) -> String {
        use miette::{
            GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
        };
        let (start, end) = self.byte_range(doc);
        let line = doc.source.line_of(start);
        // miette shows the lines around the span, and cannot lay out very long ones.
        let too_long = (line.saturating_sub(1)..=line + 1).any(|l| {
            doc.source
                .line_text(l)
                .is_some_and(|t| t.len() > MAX_RENDERED_LINE)
        });
        if too_long {
            return self.render_plain(doc);
        }
        // Long spans (a whole state) are shown by their first line only.
        let end = doc.source.text[start..end]
            .find('\n')
            .map_or(end, |n| start + n);
        let mut d = MietteDiagnostic::new(self.message.clone())
            .with_code(format!("{}[{}]", self.severity.as_str(), self.code))
            .with_severity(match self.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            })
            .with_label(LabeledSpan::at(
                start..end.max(start),
                format!(
                    "at {}",
                    if self.pointer.is_empty() {
                        "/"
                    } else {
                        &self.pointer
                    }
                ),
            ));
        if let Some(h) = &self.help {
            d = d.with_help(h.clone());
        }
        let name = doc.source.path.display().to_string();
        let report = miette::Report::new(d)
            .with_source_code(NamedSource::new(name, doc.source.text.clone()));
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let mut out = String::new();
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out = self.one_line(doc);
        }
        out
    }
}
