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

impl Definition {
    pub fn from_document(doc: Document) -> Definition {
        let (machine, mut diagnostics) = build::build(&doc.value);
        // AWS's hard quota on the definition (measured on the JSON AWS stores).
        const AWS_MAX_DEFINITION_BYTES: usize = 1024 * 1024;
        if crate::expr::compact_len_exceeds(&doc.value, AWS_MAX_DEFINITION_BYTES) {
            let size = crate::expr::compact_len(&doc.value);
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
pub fn from_value(value: serde_json::Value) -> Definition {
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
