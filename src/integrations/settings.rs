//! `stepdbg.toml` beside a definition: how its functions are answered (`[functions]`) and
//! what an evaluation may use (`[limits]`). Read with the `toml` crate; every error names
//! the file, line and column. Tables stepdbg does not know are left alone.
//!
//! ```toml
//! [functions]
//! "price-*" = "handler:fns/price.py:handler?timeout=10"
//!
//! [state-machines]     # nested executions: states:startExecution of these runs them here
//! "*order-child*" = "child.asl.json"
//!
//! [buckets]            # a Distributed Map's ItemReader reads these folders for these buckets
//! my-input-bucket = "data/input"
//!
//! [substitutions]      # a template's ${placeholders}, over its DefinitionSubstitutions
//! ReminderTimeout = "300"
//!
//! [limits]
//! eval-timeout = "30s"   # one JSONata evaluation
//! max-sequence = 5_000_000   # items in one JSONata sequence
//! eval-memory-mb = 1024      # memory one JSONata evaluation may hold
//! ```

use super::ConfigError;
use super::routes::Routes;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file's name.
pub const FILE_NAME: &str = "stepdbg.toml";

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file read, if there was one.
    pub path: Option<PathBuf>,
    pub routes: Routes,
    /// `[limits] eval-timeout`.
    pub eval_timeout: Option<Duration>,
    /// `[limits] max-sequence`.
    pub max_sequence: Option<usize>,
    /// `[limits] eval-memory-mb`.
    pub eval_memory_mb: Option<usize>,
    /// `[substitutions]`: values for a template's `${placeholders}`.
    pub substitutions: Vec<(String, String)>,
    /// `[buckets]`: local folders standing for S3 buckets (relative to the file's folder).
    pub buckets: super::reader::Buckets,
    /// `[state-machines]`: pattern → definition file of a nested state machine.
    pub state_machines: Vec<(String, PathBuf)>,
}

impl Settings {
    /// The `stepdbg.toml` in `definition`'s folder; empty settings when there is none.
    pub fn beside(definition: &Path) -> Result<Settings, ConfigError> {
        let file = definition.parent().unwrap_or(Path::new("")).join(FILE_NAME);
        if file.exists() {
            Settings::load(&file)
        } else {
            Ok(Settings::default())
        }
    }

    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        use crate::shell::read;
        let text = read::text(path, read::MAX_CONFIG_BYTES, read::Kind::RegularOnly)
            .map_err(|e| ConfigError::Settings(format!("{}: {e}", path.display())))?;
        // Paths in the file are relative to its folder, wherever stepdbg runs from (a bare
        // `stepdbg.toml` has the empty path as its parent: the current folder).
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let base = absolute.parent().unwrap_or(Path::new("/"));
        let mut s = Settings::parse(&text, &path.display().to_string(), base)?;
        s.path = Some(path.to_path_buf());
        Ok(s)
    }

    /// Parse a file's text; `label` names it in messages, `base_dir` anchors its paths.
    pub fn parse(text: &str, label: &str, base_dir: &Path) -> Result<Settings, ConfigError> {
        Settings::parse_text(text, label, base_dir).map_err(ConfigError::Settings)
    }

    fn parse_text(text: &str, label: &str, base_dir: &Path) -> Result<Settings, String> {
        let file = crate::shell::toml::parse(label, text)?;
        let routes = match file.table("functions")? {
            Some(t) => Routes::from_toml(&file, t, base_dir)?,
            None => Routes::default(),
        };
        let mut buckets = super::reader::Buckets::new();
        if let Some(t) = file.table("buckets")? {
            for (key, value) in t {
                let dir = file.string(key.get_ref().as_ref(), value)?;
                buckets.insert(key.get_ref().as_ref().to_string(), base_dir.join(dir));
            }
        }
        let mut state_machines = Vec::new();
        if let Some(t) = file.table("state-machines")? {
            for (key, value) in t {
                let path = file.string(key.get_ref().as_ref(), value)?;
                state_machines.push((key.get_ref().as_ref().to_string(), base_dir.join(path)));
            }
        }
        let mut substitutions = Vec::new();
        if let Some(t) = file.table("substitutions")? {
            for (key, value) in t {
                let key = key.get_ref().as_ref().to_string();
                let text = match value.get_ref() {
                    crate::shell::toml::DeValue::String(s) => s.to_string(),
                    crate::shell::toml::DeValue::Integer(i) => i.as_str().replace('_', ""),
                    crate::shell::toml::DeValue::Float(f) => f.as_str().to_string(),
                    crate::shell::toml::DeValue::Boolean(b) => b.to_string(),
                    _ => {
                        return Err(format!(
                            "{}: substitution `{key}` must be a string, a number or a boolean",
                            file.at(value.span().start)
                        ));
                    }
                };
                substitutions.push((key, text));
            }
        }
        let (mut eval_timeout, mut max_sequence, mut eval_memory_mb) = (None, None, None);
        if let Some(limits) = file.table("limits")? {
            for (key, value) in limits {
                match key.get_ref().as_ref() {
                    "eval-timeout" => {
                        let text = file.string("eval-timeout", value)?;
                        eval_timeout = Some(
                            crate::cli::parse_duration(text)
                                .map_err(|e| format!("{}: {e}", file.at(value.span().start)))?,
                        );
                    }
                    "max-sequence" => max_sequence = Some(positive(&file, "max-sequence", value)?),
                    "eval-memory-mb" => {
                        eval_memory_mb = Some(positive(&file, "eval-memory-mb", value)?);
                    }
                    other => {
                        return Err(format!(
                            "{}: unknown limit `{other}` (known: eval-timeout, max-sequence, eval-memory-mb)",
                            file.at(key.span().start)
                        ));
                    }
                }
            }
        }
        Ok(Settings {
            path: None,
            routes,
            eval_timeout,
            max_sequence,
            eval_memory_mb,
            substitutions,
            buckets,
            state_machines,
        })
    }
}

/// A positive integer value, or a located error.
fn positive(
    file: &crate::shell::toml::File,
    key: &str,
    value: &crate::shell::toml::Spanned<crate::shell::toml::DeValue>,
) -> Result<usize, String> {
    let n = match value.get_ref() {
        crate::shell::toml::DeValue::Integer(i) => {
            i.as_str().replace('_', "").parse::<usize>().ok()
        }
        _ => None,
    };
    n.filter(|n| *n > 0).ok_or_else(|| {
        format!(
            "{}: {key} must be a positive whole number",
            file.at(value.span().start)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_toml_works_and_errors_are_located() {
        let text = "\u{feff}# BOM and comments\n[ functions ]\n'fn-*' = 'manual' # single quotes\n\
                    [limits]\neval-timeout = \"250ms\"\nmax-sequence = 2_000\n[other]\nx = { inline = [1,\n 2] }\n";
        let s = Settings::parse(text, "stepdbg.toml", Path::new("/d")).unwrap();
        assert_eq!(s.routes.iter().count(), 1);
        assert_eq!(s.eval_timeout, Some(Duration::from_millis(250)));
        assert_eq!(s.max_sequence, Some(2000));
        let e = Settings::parse("[functions\n", "stepdbg.toml", Path::new("")).unwrap_err();
        assert!(e.to_string().starts_with("stepdbg.toml:1:"), "{e}");
        let e =
            Settings::parse("[limits]\neval-timeout = \"soon\"\n", "s", Path::new("")).unwrap_err();
        assert!(e.to_string().starts_with("s:2:"), "{e}");
    }
}
