//! Which backend answers which Lambda function.
//!
//! A route is `PATTERN=BACKEND`, given as `--function 'PATTERN=BACKEND'` or as an entry of the
//! `[functions]` table of a `stepdbg.toml` beside the definition:
//!
//! ```toml
//! [functions]
//! "price-*" = "handler:fns/price.py:handler?timeout=10"
//! "arn:aws:lambda:*:*:function:send-*" = "command:./bin/fake-mailer --quiet"
//! "get-model-review-decision" = "manual"
//! "*" = "endpoint:http://127.0.0.1:3001?timeout=30"
//! ```
//!
//! Routes are tried in order (`--function` options first, then the file, top to bottom) and
//! the first match wins. PATTERN matches the function name (`price-quote`), the name with its
//! qualifier (`price-quote:live`), the unqualified or qualified ARN, or is a glob over any of
//! these (`*` any run of characters, `?` one character).
//!
//! BACKEND is one of:
//! - `mock`: the Step Functions Local mock file answers (and nothing else does);
//! - `handler:PATH:NAME`: the Python (`.py`) or Node (`.js`, `.mjs`, `.cjs`) function `NAME`
//!   of the file `PATH`, run as Lambda runs it;
//! - `command:PROGRAM ARGS...`: an executable, run without a shell (arguments are split on
//!   spaces; quote with `'...'` or `"..."`): the event on stdin, the result on stdout;
//! - `endpoint:URL`: a Lambda Invoke API over plain HTTP (`sam local start-lambda`, LocalStack);
//! - `manual`: the call stays pending for a person to answer.
//!
//! Options follow the last `?` of BACKEND as `key=value` pairs joined by `&`:
//! - `timeout=SECONDS` (default 3, Lambda's default): a backend still running then is stopped
//!   and the call fails with `Sandbox.Timedout`, as Lambda's timeout does;
//! - `memory=MB` (default 128): the function's memory size, as the context object reports it;
//! - `version=N`: the version an alias resolves to (reported as `ExecutedVersion`; local
//!   backends cannot resolve aliases, so it is `$LATEST` unless given);
//! - `function=NAME`: for `endpoint:`, the function name to send (for example the logical id
//!   `sam local` knows the function by) instead of the one the state machine calls.
//!
//! End BACKEND with a lone `?` to keep a `?` of its own (`command:curl http://x/?a=b?`).
//!
//! Relative paths (handler files, programs containing `/`) are taken from the folder of the
//! `stepdbg.toml` that names them; for `--function` routes, from the dispatcher's base folder.

use super::lambda::FunctionId;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file of routes read beside a definition.
/// The longest timeout a route may ask for (Lambda's own limit is 900 s; a person
/// stepping through a handler in a debugger may want longer).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Lambda's default function timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Lambda's default memory size.
pub const DEFAULT_MEMORY_MB: u32 = 128;

/// What runs a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Mock,
    Manual,
    Handler { path: PathBuf, name: String },
    Command { program: String, args: Vec<String> },
    Endpoint { url: String },
}

/// How a backend runs (the `?key=value` options).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendOptions {
    pub timeout: Duration,
    pub memory_mb: u32,
    /// The version an alias resolves to, reported as `ExecutedVersion`.
    pub alias_version: Option<String>,
    /// For `endpoint:`: the function name to send instead of the one called.
    pub endpoint_function: Option<String>,
    /// Environment variables the function gets (a template's `Environment.Variables`).
    pub environment: Vec<(String, String)>,
}

impl Default for BackendOptions {
    fn default() -> Self {
        BackendOptions {
            timeout: DEFAULT_TIMEOUT,
            memory_mb: DEFAULT_MEMORY_MB,
            alias_version: None,
            endpoint_function: None,
            environment: Vec::new(),
        }
    }
}

/// One `PATTERN=BACKEND` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub pattern: String,
    pub backend: Backend,
    pub options: BackendOptions,
    /// The folder relative paths are taken from: the `stepdbg.toml`'s; None for
    /// `--function` routes (the dispatcher's base folder then).
    pub base_dir: Option<PathBuf>,
    /// Where the route was written, for messages: `--function` or `stepdbg.toml:LINE`.
    pub origin: String,
    /// BACKEND as written.
    pub spec: String,
}

impl Route {
    /// Parse a `--function` value, `PATTERN=BACKEND`.
    pub fn parse(text: &str) -> Result<Route, String> {
        let (pattern, backend) = text
            .split_once('=')
            .ok_or_else(|| format!("--function '{text}': expected PATTERN=BACKEND, e.g. 'price-*=handler:fns/price.py:handler'"))?;
        Route::new(pattern.trim(), backend.trim(), None, "--function")
            .map_err(|e| format!("--function '{text}': {e}"))
    }

    /// A route from its two halves; `base_dir` anchors its relative paths.
    pub fn new(
        pattern: &str,
        backend: &str,
        base_dir: Option<&Path>,
        origin: &str,
    ) -> Result<Route, String> {
        if pattern.is_empty() {
            return Err("the function pattern is empty".into());
        }
        let (backend_kind, options) = parse_backend(backend)?;
        Ok(Route {
            pattern: pattern.to_string(),
            backend: backend_kind,
            options,
            base_dir: base_dir.map(Path::to_path_buf),
            origin: origin.to_string(),
            spec: backend.to_string(),
        })
    }

    /// Does this route serve `function`?
    pub fn matches(&self, function: &FunctionId) -> bool {
        let mut names = vec![function.name.clone(), function.arn()];
        if let Some(q) = &function.qualifier {
            names.push(format!("{}:{q}", function.name));
            names.push(function.qualified_arn());
        }
        names.iter().any(|n| glob_match(&self.pattern, n))
    }
}

/// Routes in the order they are tried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// The `--function` options, in order.
    pub fn from_options<S: AsRef<str>>(options: &[S]) -> Result<Routes, super::ConfigError> {
        let routes = options
            .iter()
            .map(|o| Route::parse(o.as_ref()))
            .collect::<Result<_, _>>()
            .map_err(super::ConfigError::Route)?;
        Ok(Routes { routes })
    }

    /// The routes of a definition: the `--function` options, then the `[functions]` table of
    /// the `stepdbg.toml` in the definition's folder, when there is one.
    pub fn for_definition<S: AsRef<str>>(
        definition: &Path,
        options: &[S],
    ) -> Result<Routes, super::ConfigError> {
        let mut routes = Routes::from_options(options)?;
        routes.extend(super::settings::Settings::beside(definition)?.routes);
        Ok(routes)
    }

    /// Read the `[functions]` table of a `stepdbg.toml`.
    pub fn load(path: &Path) -> Result<Routes, super::ConfigError> {
        Ok(super::settings::Settings::load(path)?.routes)
    }

    /// The routes of a `[functions]` table (`"PATTERN" = "BACKEND"`, in file order; its
    /// file's folder anchors relative paths).
    pub fn from_toml(
        file: &crate::shell::toml::File,
        table: &crate::shell::toml::DeTable,
        base_dir: &Path,
    ) -> Result<Routes, String> {
        let mut routes = Vec::new();
        for (key, value) in table {
            let pattern = key.get_ref().as_ref();
            let backend = file.string(pattern, value)?;
            let origin = file.line_of(key.span().start);
            let route = Route::new(pattern, backend, Some(base_dir), &origin)
                .map_err(|e| format!("{}: {e}", file.at(value.span().start)))?;
            routes.push(route);
        }
        Ok(Routes { routes })
    }

    /// Every handler file a route names exists (relative paths from the route's
    /// `stepdbg.toml`, or from `cwd` for `--function`): a missing one is a setup error,
    /// said before anything runs rather than as the function's import error.
    pub fn check_handler_files(&self, cwd: &Path) -> Result<(), super::ConfigError> {
        for r in &self.routes {
            if let Backend::Handler { path, .. } = &r.backend {
                let full = r.base_dir.as_deref().unwrap_or(cwd).join(path);
                if !full.is_file() {
                    return Err(super::ConfigError::Route(format!(
                        "{}: the handler file {} does not exist (`{}`; relative paths are from {})",
                        r.origin,
                        full.display(),
                        r.spec,
                        match &r.base_dir {
                            Some(d) => d.display().to_string(),
                            None => "the working directory".into(),
                        }
                    )));
                }
            }
        }
        Ok(())
    }

    pub fn push(&mut self, route: Route) {
        self.routes.push(route);
    }

    /// Append `other`'s routes after these (they match only where these do not).
    pub fn extend(&mut self, other: Routes) {
        self.routes.extend(other.routes);
    }

    /// The first route serving `function`.
    pub fn find(&self, function: &FunctionId) -> Option<&Route> {
        self.routes.iter().find(|r| r.matches(function))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }
}

/// `*` matches any run of characters (`:` included), `?` exactly one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was and how much of the text it has swallowed so far.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn parse_backend(text: &str) -> Result<(Backend, BackendOptions), String> {
    let (body, options) = match text.rsplit_once('?') {
        Some((body, opts)) => (body, parse_options(opts)?),
        None => (text, BackendOptions::default()),
    };
    let backend = match body.split_once(':') {
        _ if body == "mock" => Backend::Mock,
        _ if body == "manual" => Backend::Manual,
        Some(("handler", spec)) => {
            let (path, name) = spec.rsplit_once(':').ok_or_else(|| {
                format!("`{body}`: expected handler:PATH:NAME, e.g. handler:app.py:lambda_handler")
            })?;
            if path.is_empty() || name.is_empty() {
                return Err(format!(
                    "`{body}`: expected handler:PATH:NAME, e.g. handler:app.py:lambda_handler"
                ));
            }
            if super::backend::Runtime::of(Path::new(path)).is_none() {
                return Err(format!(
                    "`{body}`: the handler file must be Python (.py) or Node (.js, .mjs, .cjs)"
                ));
            }
            Backend::Handler {
                path: PathBuf::from(path),
                name: name.to_string(),
            }
        }
        Some(("command", line)) => {
            let mut words = split_words(line)?.into_iter();
            let program = words
                .next()
                .ok_or_else(|| format!("`{body}`: the command names no program"))?;
            Backend::Command {
                program,
                args: words.collect(),
            }
        }
        Some(("endpoint", url)) => {
            crate::shell::http::client::Url::parse(url).map_err(|e| format!("`{body}`: {e}"))?;
            Backend::Endpoint {
                url: url.to_string(),
            }
        }
        _ => {
            return Err(format!(
                "unknown backend `{body}`: use mock, manual, handler:PATH:NAME, command:PROGRAM ARGS... or endpoint:URL"
            ));
        }
    };
    if options.endpoint_function.is_some() && !matches!(backend, Backend::Endpoint { .. }) {
        return Err("the `function` option is for endpoint: backends only".into());
    }
    Ok((backend, options))
}

fn parse_options(text: &str) -> Result<BackendOptions, String> {
    let mut options = BackendOptions::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("option `{pair}`: expected key=value"))?;
        match key {
            "timeout" => {
                options.timeout = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && *s <= MAX_TIMEOUT.as_secs_f64())
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        format!(
                            "timeout `{value}`: expected seconds above 0 and at most {} (a day)",
                            MAX_TIMEOUT.as_secs()
                        )
                    })?;
            }
            "memory" => {
                options.memory_mb = value
                    .parse()
                    .ok()
                    .filter(|m| *m > 0)
                    .ok_or_else(|| format!("memory `{value}`: expected megabytes, e.g. 512"))?;
            }
            "version" if !value.is_empty() => options.alias_version = Some(value.to_string()),
            "function" if !value.is_empty() => options.endpoint_function = Some(value.to_string()),
            _ => {
                return Err(format!(
                    "unknown option `{pair}` (known: timeout=SECONDS, memory=MB, version=N, function=NAME)"
                ));
            }
        }
    }
    Ok(options)
}

/// Split a command line into words as a shell would for plain words and quotes, without
/// expanding anything: `'...'` is literal, `"..."` and bare words honour `\`.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed ' in `{line}`")),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => w.extend(chars.next()),
                        Some(c) => w.push(c),
                        None => return Err(format!("unclosed \" in `{line}`")),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("price-*", "price-quote"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match(
            "arn:aws:lambda:*:*:function:send-*",
            "arn:aws:lambda:us-east-1:1:function:send-mail"
        ));
        assert!(glob_match("*-quote*", "price-quote-v2"));
        assert!(!glob_match(
            "price-*",
            "arn:aws:lambda:us-east-1:1:function:price-quote"
        ));
    }

    #[test]
    fn words_without_a_shell() {
        assert_eq!(
            split_words(r#"python3 -c 'print("a b")' "x y" z\ w"#).unwrap(),
            ["python3", "-c", "print(\"a b\")", "x y", "z w"]
        );
        assert!(split_words("echo 'open").is_err());
    }

    #[test]
    fn backends_and_options() {
        let r = Route::parse("fn=handler:app/main.py:handler?timeout=1.5&memory=512").unwrap();
        assert_eq!(
            r.backend,
            Backend::Handler {
                path: "app/main.py".into(),
                name: "handler".into()
            }
        );
        assert_eq!(r.options.timeout, Duration::from_millis(1500));
        assert_eq!(r.options.memory_mb, 512);
        let r = Route::parse("fn=command:curl http://x/?a=b?").unwrap();
        assert_eq!(
            r.backend,
            Backend::Command {
                program: "curl".into(),
                args: vec!["http://x/?a=b".into()]
            }
        );
        assert!(Route::parse("fn=handler:app.rb:h").is_err());
        assert!(Route::parse("fn=handler:app.py:h?timeout=0").is_err());
        for huge in ["1e30", "1e19", "86401", "inf", "NaN", "-1"] {
            let e = Route::parse(&format!("fn=handler:app.py:h?timeout={huge}")).unwrap_err();
            assert!(e.contains("at most 86400"), "{huge}: {e}");
        }
        assert!(Route::parse("fn=handler:app.py:h?tiemout=3").is_err());
        assert!(Route::parse("fn=endpoint:https://x").is_err());
        assert!(Route::parse("fn=shell:ls").is_err());
        assert!(Route::parse("no-equals").is_err());
    }

    #[test]
    fn toml_functions_table() {
        let text = r##"
title = "other tables are not ours"
[functions]
# a comment
"price-*" = "handler:fns/price.py:handler" # trailing comment
bare-name = 'manual'
"esc\"aped" = "command:echo \"#not a comment\""
[other]
"x" = "not a route"
"##;
        let file = crate::shell::toml::parse("stepdbg.toml", text).unwrap();
        let table = file.table("functions").unwrap().unwrap();
        let routes = Routes::from_toml(&file, table, Path::new("/defs")).unwrap();
        let got: Vec<_> = routes
            .iter()
            .map(|r| (r.pattern.as_str(), r.origin.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("price-*", "stepdbg.toml:5"),
                ("bare-name", "stepdbg.toml:6"),
                ("esc\"aped", "stepdbg.toml:7")
            ]
        );
        assert_eq!(
            routes.iter().nth(2).unwrap().backend,
            Backend::Command {
                program: "echo".into(),
                args: vec!["#not a comment".into()]
            }
        );
        assert_eq!(
            routes.iter().next().unwrap().base_dir.as_deref(),
            Some(Path::new("/defs"))
        );
        let dup = "[functions]\na = \"mock\"\n\"a\" = \"manual\"\n";
        assert!(
            crate::shell::toml::parse("f", dup)
                .err()
                .unwrap()
                .contains("f:3")
        );
        let file = crate::shell::toml::parse("f", "[functions]\na = 1\n").unwrap();
        let e = Routes::from_toml(
            &file,
            file.table("functions").unwrap().unwrap(),
            Path::new(""),
        )
        .unwrap_err();
        assert!(e.starts_with("f:2:"), "{e}");
    }
}
