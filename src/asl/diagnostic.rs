//! Located diagnostics from loading and validation, rendered like rustc (miette) or JSON.

use super::source::{Document, LineCol};
use serde_json::json;

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
        let node = doc.spans.nearest(&self.pointer);
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

    pub fn to_json(&self, doc: &Document) -> serde_json::Value {
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

    /// A rustc-style report with the source excerpt (colour when `color`).
    pub fn render(&self, doc: &Document, color: bool) -> String {
        use miette::{
            GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
        };
        let (start, end) = self.byte_range(doc);
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
