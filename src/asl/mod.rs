//! The Amazon States Language: loading definitions with source spans, the typed model,
//! and validation with located diagnostics.

pub mod build;
pub mod diagnostic;
pub mod model;
pub mod source;
pub mod validate;

pub use diagnostic::{Diagnostic, Severity};
pub use model::Machine;
pub use source::{Document, LoadError};

use std::path::Path;

/// A loaded definition: the document, its model and everything found wrong with it.
#[derive(Debug, Clone)]
pub struct Definition {
    pub doc: Document,
    pub machine: Machine,
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether the compact JSON of a value parsed from `json_text` is surely no longer than
/// `limit`, from the text's length alone. Compact JSON drops the text's whitespace and
/// writes strings no longer than JSON text can; only a float grows, by 4.5 times at most
/// (`1e15` is written `1000000000000000.0`).
fn json_text_surely_fits(json_text: Option<&str>, limit: usize) -> bool {
    json_text.is_some_and(|t| t.len().saturating_mul(5) <= limit)
}

impl Definition {
    pub fn from_document(doc: Document) -> Definition {
        let (machine, mut diagnostics) = build::build(doc.value(), doc.json_text());
        // AWS's hard quota on the definition (measured on the JSON AWS stores).
        const AWS_MAX_DEFINITION_BYTES: usize = 1024 * 1024;
        if !json_text_surely_fits(doc.json_text(), AWS_MAX_DEFINITION_BYTES)
            && crate::expr::compact_len_exceeds(doc.value(), AWS_MAX_DEFINITION_BYTES)
        {
            let size = crate::expr::compact_len(doc.value());
            diagnostics.push(
                Diagnostic::error(
                    "definition-too-large",
                    "",
                    format!("the definition is {size} bytes as JSON; AWS accepts at most 1 MB (1,048,576 bytes)"),
                )
                .help("move large constants (Result, Parameters) into the input or a data store"),
            );
        }
        diagnostics.extend(validate::validate(&machine));
        diagnostics.sort_by_key(|d| (d.byte_range(&doc).0, d.severity));
        Definition {
            doc,
            machine,
            diagnostics,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

/// Load, build and validate a definition file.
pub fn load(path: &Path) -> Result<Definition, LoadError> {
    source::load_file(path).map(Definition::from_document)
}

/// Build and validate a definition from a file's bytes, already read.
pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Definition, LoadError> {
    source::load_bytes(path, bytes).map(Definition::from_document)
}

/// Load a definition from a JSON value (no file; spans are empty).
pub fn from_value(value: crate::json::Value) -> Definition {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let doc = source::parse_text(Path::new("<definition>"), text, source::Format::Json)
        .unwrap_or_else(|_| {
            Document::with_spans(
                source::SourceFile::new("<definition>", String::new()),
                value,
                Default::default(),
                source::Format::Json,
            )
        });
    Definition::from_document(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound behind [`json_text_surely_fits`]: no token's compact JSON is more than
    /// 4.5 times its text.
    #[test]
    fn compact_json_grows_at_most_four_and_a_half_times() {
        for token in [
            "1e15",
            "9e15",
            "1E15",
            "-1e15",
            "1e+15",
            "1e9",
            "1e16",
            "0e0",
            "-0",
            "1.5e-7",
            "18446744073709551616",
            "-9223372036854775809",
            "\"\\u00e9\\/\\n\"",
            "[ 1 , {\"a\" : true} ]",
        ] {
            let text = format!("[{token}]");
            let doc = source::parse_text(Path::new("t.json"), text.clone(), source::Format::Json)
                .unwrap();
            let compact = crate::expr::compact(doc.value());
            assert!(compact.len() * 2 <= text.len() * 9, "{text} -> {compact}");
        }
        assert!(json_text_surely_fits(Some(&"x".repeat(200_000)), 1_000_000));
        assert!(!json_text_surely_fits(
            Some(&"x".repeat(200_001)),
            1_000_000
        ));
        assert!(!json_text_surely_fits(None, 1_000_000));
    }
}
