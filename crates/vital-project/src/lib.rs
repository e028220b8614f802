//! The project file, `vital.toml` (docs/project.md): found by walking up
//! from a directory as cargo finds `Cargo.toml`, read once, and handed to
//! every command (and later the language server) as a [`Project`].
//!
//! Problems are [`vital_syntax::Diagnostic`]s with the code
//! `vital::project`, placed on the offending key or value of `vital.toml`,
//! so they render like every other diagnostic (file, line, column, a
//! did-you-mean).

mod config;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use vital_syntax::{Code, Diagnostic, FileId, SourceFile, SourceMap, Span};

/// The file name looked for.
pub const FILE_NAME: &str = "vital.toml";

/// A read and validated project file.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory holding `vital.toml`; paths in it are relative to it.
    pub root: PathBuf,
    /// `vital.toml` itself.
    pub file: PathBuf,
    /// Its text, for diagnostics placed in it later (a mapping naming a
    /// signal the rule set does not declare).
    pub text: String,
    pub name: Option<String>,
    /// In the order of their names.
    pub rulesets: Vec<RuleSet>,
    pub history: Option<History>,
    pub notify: Option<Notify>,
}

/// One `[rulesets.NAME]` table.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub name: String,
    /// The rule set's directory or file (joined to the project root).
    pub path: PathBuf,
    /// Where `path` is written in `vital.toml`.
    pub path_span: Range<usize>,
    /// `inputs` as written (after `${VAR}` expansion), joined to the root.
    pub inputs: Vec<String>,
    pub sample: Option<PathBuf>,
    pub value: Option<Spanned<String>>,
    pub at_risk: Option<Vec<Spanned<String>>>,
    pub gates: Gates,
    pub read: Read,
    /// Signal name → how to read it.
    pub columns: BTreeMap<String, Spanned<Column>>,
}

/// A value and where it is written in `vital.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// Data-quality gates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    /// `None`: any rejected record fails the run.
    pub max_rejected: Option<Threshold>,
    pub require_columns: bool,
    /// The data-quality warnings of `vital run` (fractions for a percent, a
    /// signal missing from every record, …) fail the run before a history
    /// store records it.
    pub fail_on_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Count(u64),
    /// Percent of the records read.
    Share(f64),
}

impl Threshold {
    /// Is `rejected` of `records` within the threshold?
    pub fn allows(self, rejected: usize, records: usize) -> bool {
        match self {
            Threshold::Count(n) => rejected as u64 <= n,
            Threshold::Share(p) => (rejected as f64) <= p / 100.0 * records as f64,
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n} records"),
            Threshold::Share(p) => write!(f, "{p}%"),
        }
    }
}

/// How values are written in the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    pub delimiter: u8,
    pub nulls: Vec<String>,
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
    /// A JSON `account` may be a number.
    pub numeric_account: bool,
}

impl Default for Read {
    fn default() -> Read {
        Read {
            delimiter: b',',
            nulls: Vec::new(),
            true_values: Vec::new(),
            false_values: Vec::new(),
            numeric_account: false,
        }
    }
}

/// How one signal is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Column {
    /// The column or key it is read from, when not its own name.
    pub column: Option<String>,
    pub scale: Option<f64>,
    /// A `strftime` date format.
    pub format: Option<String>,
    /// Spelling in the input → variant.
    pub values: BTreeMap<String, String>,
}

/// `[history]`.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The store **as written**: its `${VAR}` references are expanded only
    /// when a command opens the store ([`Project::store`]), so that the
    /// commands that never do (`check`, `test`, `fmt`, `compile`) work
    /// without the database password in their environment.
    pub store: Option<Spanned<String>>,
    /// `stale_after` in days ([`DEFAULT_STALE_AFTER_DAYS`] when not given).
    pub stale_after_days: i64,
}

/// An account is stale when its latest stored snapshot is more than this
/// many days older than the reference date (docs/history.md).
pub const DEFAULT_STALE_AFTER_DAYS: i64 = 7;

/// `[notify]`: where and how `vital notify` delivers playbook starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    /// The webhook URL **as written**: its `${VAR}` references are expanded
    /// only when `vital notify` asks ([`Project::webhook`]), so the other
    /// commands work without the secret in their environment.
    pub webhook: Option<Spanned<String>>,
    /// Tries per start in one `vital notify` (first try included).
    pub attempts: u32,
    /// The wait before the second try; it doubles for each further one.
    pub backoff_ms: u64,
    /// The limit for connecting and for the whole of each try.
    pub timeout_ms: u64,
}

impl Default for Notify {
    fn default() -> Notify {
        Notify {
            webhook: None,
            attempts: 5,
            backoff_ms: 1000,
            timeout_ms: 10_000,
        }
    }
}

/// A project file that cannot be used, with what is wrong in it.
#[derive(Debug)]
pub struct ProjectError {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl ProjectError {
    fn one(path: &Path, text: String, span: Range<usize>, message: String) -> ProjectError {
        let mut sources = SourceMap::new();
        let id = sources.add(SourceFile::new(display(path), text));
        ProjectError {
            sources,
            diagnostics: vec![diagnostic(id, span, message)],
        }
    }
}

fn diagnostic(file: FileId, span: Range<usize>, message: String) -> Diagnostic {
    Diagnostic::new(
        Code::Project,
        file,
        Span::new(span.start, span.end),
        message,
    )
}

/// Display form of a path, with `/` separators, without `./`.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The project file governing `start`: `start/vital.toml` or the nearest
/// one in a parent directory; `None` when there is none.
pub fn discover(start: &Path) -> Result<Option<Project>, ProjectError> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return load(&candidate).map(Some);
        }
    }
    Ok(None)
}

/// Read one project file.
pub fn load(file: &Path) -> Result<Project, ProjectError> {
    let bytes = std::fs::read(file)
        .map_err(|e| ProjectError::one(file, String::new(), 0..0, format!("cannot read: {e}")))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            return Err(ProjectError::one(
                file,
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                at..at + 1,
                "the project file is not valid UTF-8".into(),
            ));
        }
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let offset = text.len() - body.len();
    let root = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let raw: config::File = toml::from_str(body).map_err(|e| {
        let span = e.span().map_or(0..0, |s| s.start + offset..s.end + offset);
        ProjectError::one(file, text.clone(), span, toml_message(&e))
    })?;
    Build {
        file,
        text: &text,
        offset,
        root: &root,
        errors: Vec::new(),
    }
    .project(raw)
}

/// toml's message, first line, with a did-you-mean for an unknown key.
fn toml_message(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_string();
    // serde: "unknown field `input`, expected one of `path`, `inputs`, …"
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            let allowed: Vec<String> = expected
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            let allowed: Vec<&str> = if allowed.is_empty() {
                config::KEYS.to_vec()
            } else {
                allowed.iter().map(String::as_str).collect()
            };
            return match vital_syntax::suggest::did_you_mean(key, allowed.iter().copied()) {
                Some(k) => format!("unknown key `{key}`; did you mean `{k}`?"),
                None => format!(
                    "unknown key `{key}`; expected one of {}",
                    allowed
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
    }
    // serde names Rust's types: "invalid type: string "5", expected i64"
    for (rust, plain) in [
        ("expected i64", "expected a whole number"),
        ("expected u64", "expected a whole number of at least 0"),
        ("expected u32", "expected a whole number of at least 0"),
        ("expected u16", "expected a whole number of at least 0"),
        ("expected usize", "expected a whole number of at least 0"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        if let Some(head) = msg.strip_suffix(rust) {
            return format!("{head}{plain}");
        }
    }
    msg
}

/// `${VAR}` replaced by the environment variable; `$${` is a literal `${`.
/// The error names the first variable that is not set.
fn expand_env(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut error = None;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(lit) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = lit;
        } else if let Some(var) = after.strip_prefix("${") {
            match var.split_once('}') {
                Some((name, tail)) => {
                    match std::env::var(name) {
                        Ok(v) => out.push_str(&v),
                        Err(_) => {
                            error.get_or_insert_with(|| {
                                format!(
                                    "the environment variable `{name}` is not set (the value uses `${{{name}}}`)"
                                )
                            });
                        }
                    }
                    rest = tail;
                }
                None => {
                    error.get_or_insert_with(|| "`${` without a closing `}`".to_string());
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// `stale_after`: a count of days, or `"N day(s)"` / `"N week(s)"`.
fn stale_days(v: &toml::Value) -> Option<i64> {
    let days = match v {
        toml::Value::Integer(n) => Some(*n),
        toml::Value::String(s) => {
            let mut words = s.split_whitespace();
            let n: i64 = words.next()?.parse().ok()?;
            let unit = words.next()?;
            if words.next().is_some() {
                return None;
            }
            match unit {
                "day" | "days" => Some(n),
                "week" | "weeks" => n.checked_mul(7),
                _ => None,
            }
        }
        _ => None,
    }?;
    (0..=36_500).contains(&days).then_some(days)
}

/// Turns the serde view into a [`Project`], collecting every error.
struct Build<'a> {
    file: &'a Path,
    text: &'a str,
    offset: usize,
    root: &'a Path,
    errors: Vec<(Range<usize>, String)>,
}

impl Build<'_> {
    fn span<T>(&self, s: &toml::Spanned<T>) -> Range<usize> {
        let r = s.span();
        r.start + self.offset..r.end + self.offset
    }

    /// `${VAR}` replaced by the environment variable; `$${` is a literal `${`.
    fn expand(&mut self, s: &toml::Spanned<String>) -> Spanned<String> {
        let span = self.span(s);
        let value = match expand_env(s.get_ref()) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push((span.clone(), e));
                String::new()
            }
        };
        Spanned { value, span }
    }

    /// An integer key within `range`, or an error placed on it.
    fn int_in(
        &mut self,
        key: &str,
        v: Option<&toml::Spanned<i64>>,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> i64 {
        let Some(v) = v else {
            return default;
        };
        let n = *v.get_ref();
        if range.contains(&n) {
            n
        } else {
            self.errors.push((
                self.span(v),
                format!(
                    "`{key}` is a whole number from {} to {}, not {n}",
                    range.start(),
                    range.end()
                ),
            ));
            default
        }
    }

    fn notify(&mut self, t: config::NotifyTable) -> Notify {
        let d = Notify::default();
        let webhook = t.webhook.as_ref().map(|w| Spanned {
            value: w.get_ref().clone(),
            span: self.span(w),
        });
        if let Some(w) = &webhook {
            // a URL written out (no `${…}`) is checked now
            if !w.value.contains("${") {
                if let Err(e) = webhook_url(&w.value) {
                    self.errors.push((w.span.clone(), e));
                }
            }
        }
        Notify {
            webhook,
            attempts: self.int_in("attempts", t.attempts.as_ref(), 1..=100, d.attempts.into())
                as u32,
            backoff_ms: self.int_in(
                "backoff_ms",
                t.backoff_ms.as_ref(),
                0..=600_000,
                d.backoff_ms as i64,
            ) as u64,
            timeout_ms: self.int_in(
                "timeout_ms",
                t.timeout_ms.as_ref(),
                1..=600_000,
                d.timeout_ms as i64,
            ) as u64,
        }
    }

    fn project(mut self, raw: config::File) -> Result<Project, ProjectError> {
        let name = raw
            .project
            .and_then(|p| p.name)
            .map(|n| self.expand(&n).value);
        let mut rulesets = Vec::new();
        for (rs_name, t) in raw.rulesets {
            rulesets.push(self.ruleset(rs_name, t));
        }
        let history = raw.history.map(|h| History {
            store: h.store.map(|s| {
                let store = Spanned {
                    value: s.get_ref().clone(),
                    span: self.span(&s),
                };
                if s.get_ref().trim().is_empty() {
                    self.errors.push((
                        store.span.clone(),
                        "`store` is empty: a SQLite file path (`\".vital/history.db\"`) or a postgres:// URL; leave the key out for no store".into(),
                    ));
                }
                store
            }),
            stale_after_days: match &h.stale_after {
                None => DEFAULT_STALE_AFTER_DAYS,
                Some(v) => stale_days(v.get_ref()).unwrap_or_else(|| {
                    self.errors.push((
                        self.span(v),
                        format!(
                            "`stale_after` is a number of days (`7`) or a duration such as `\"7 days\"` or `\"2 weeks\"` (at most 100 years), not `{}`",
                            v.get_ref()
                        ),
                    ));
                    DEFAULT_STALE_AFTER_DAYS
                }),
            },
        });
        let notify = raw.notify.map(|n| self.notify(n));
        if !self.errors.is_empty() {
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new(display(self.file), self.text.to_string()));
            return Err(ProjectError {
                diagnostics: self
                    .errors
                    .into_iter()
                    .map(|(span, msg)| diagnostic(id, span, msg))
                    .collect(),
                sources,
            });
        }
        Ok(Project {
            root: self.root.to_path_buf(),
            file: self.file.to_path_buf(),
            text: self.text.to_string(),
            name,
            rulesets,
            history,
            notify,
        })
    }

    fn ruleset(&mut self, name: String, t: config::RuleSetTable) -> RuleSet {
        let path = self.expand(&t.path);
        let inputs = t
            .inputs
            .iter()
            .map(|i| {
                let i = self.expand(i);
                self.root.join(&i.value).to_string_lossy().into_owned()
            })
            .collect();
        let sample = t.sample.as_ref().map(|s| {
            let s = self.expand(s);
            self.root.join(s.value)
        });
        let value = t.value.as_ref().map(|v| self.expand(v));
        let at_risk = t
            .at_risk
            .as_ref()
            .map(|a| a.iter().map(|x| self.expand(x)).collect());
        let max_rejected = t.gates.max_rejected.as_ref().and_then(|m| {
            match m.get_ref() {
                config::Threshold::Count(n) => Some(Threshold::Count(*n)),
                config::Threshold::Text(s) => {
                    let share = s
                        .trim()
                        .strip_suffix('%')
                        .and_then(|p| p.trim().parse::<f64>().ok())
                        .filter(|p| (0.0..=100.0).contains(p));
                    if share.is_none() {
                        self.errors.push((
                            self.span(m),
                            format!(
                                "`max_rejected` is a count (`25`) or a share of the records (`\"1%\"`), not `{s:?}`"
                            ),
                        ));
                    }
                    share.map(Threshold::Share)
                }
            }
        });
        let delimiter = match &t.read.delimiter {
            None => b',',
            Some(d) => match d.get_ref().as_bytes() {
                [b] if b.is_ascii() => *b,
                _ => {
                    self.errors.push((
                        self.span(d),
                        format!(
                            "`delimiter` is one ASCII character (`\";\"`, `\"\\t\"`), not {:?}",
                            d.get_ref()
                        ),
                    ));
                    b','
                }
            },
        };
        let numeric_account = match &t.read.account {
            None => false,
            Some(a) => match a.get_ref().as_str() {
                "text" => false,
                "number" => true,
                other => {
                    self.errors.push((
                        self.span(a),
                        format!("`account` is \"text\" or \"number\", not {other:?}"),
                    ));
                    false
                }
            },
        };
        let columns = t
            .columns
            .iter()
            .map(|(signal, entry)| {
                // from the signal's name to the end of its entry: a mistake
                // in the name is underlined where it is written
                let key = self.span(signal);
                let span = key.start.min(self.span(entry).start)..self.span(entry).end;
                let signal = signal.get_ref();
                let column = match entry.get_ref() {
                    config::ColumnEntry::Column(c) => Column {
                        column: Some(c.clone()),
                        ..Column::default()
                    },
                    config::ColumnEntry::Table(t) => Column {
                        column: t.column.clone(),
                        scale: t.scale,
                        format: t.format.clone(),
                        values: t.values.clone(),
                    },
                };
                if column.scale.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
                    self.errors
                        .push((span.clone(), "`scale` is a positive number".into()));
                }
                (
                    signal.clone(),
                    Spanned {
                        value: column,
                        span,
                    },
                )
            })
            .collect();
        RuleSet {
            name,
            path_span: path.span.clone(),
            path: self.root.join(path.value),
            inputs,
            sample,
            value,
            at_risk,
            gates: Gates {
                max_rejected,
                require_columns: t.gates.require_columns,
                fail_on_warnings: t.gates.fail_on_warnings,
            },
            read: Read {
                delimiter,
                nulls: t.read.nulls,
                true_values: t.read.true_values,
                false_values: t.read.false_values,
                numeric_account,
            },
            columns,
        }
    }
}

/// A webhook URL is `http://` or `https://` and names a host.
pub fn webhook_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(()),
        _ if url.trim().is_empty() => Err(
            "`webhook` is empty (an environment variable set to nothing?): it is an http:// or https:// URL".into(),
        ),
        // what the value has instead is said without its path (the secret)
        _ if !url.contains("://") => Err(format!(
            "`webhook` is an http:// or https:// URL; `{}` has no scheme (`https://` first)",
            redact(&format!("x://{url}")).trim_start_matches("x://")
        )),
        _ => Err(format!(
            "`webhook` is an http:// or https:// URL, not `{}`",
            redact(url)
        )),
    }
}

/// A URL for messages: scheme and host only (a webhook's path is its
/// secret).
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or(authority);
            if rest.len() > authority.len() {
                format!("{scheme}://{host}/…")
            } else {
                format!("{scheme}://{host}")
            }
        }
        None => "…".to_string(),
    }
}

impl Project {
    /// `stale_after` in days: `[history] stale_after`, or the default.
    pub fn stale_after_days(&self) -> i64 {
        self.history
            .as_ref()
            .map_or(DEFAULT_STALE_AFTER_DAYS, |h| h.stale_after_days)
    }

    /// `[history] store` with its `${VAR}` references expanded now; an
    /// unset variable is an error placed on the key. `None` when no store
    /// is configured.
    pub fn store(&self) -> Result<Option<String>, ProjectError> {
        let Some(s) = self.history.as_ref().and_then(|h| h.store.as_ref()) else {
            return Ok(None);
        };
        expand_env(&s.value)
            .map(Some)
            .map_err(|e| self.error_at(s.span.clone(), e))
    }

    /// `[notify] webhook` with its `${VAR}` references expanded now; an
    /// unset variable or a value that is not a URL is an error placed on
    /// the key. `None` when no webhook is configured.
    pub fn webhook(&self) -> Result<Option<String>, ProjectError> {
        let Some(w) = self.notify.as_ref().and_then(|n| n.webhook.as_ref()) else {
            return Ok(None);
        };
        let url = expand_env(&w.value).map_err(|e| self.error_at(w.span.clone(), e))?;
        webhook_url(&url).map_err(|e| self.error_at(w.span.clone(), e))?;
        Ok(Some(url))
    }

    /// A diagnostic placed in `vital.toml` (for problems found once the
    /// rule set is known: a mapping naming an undeclared signal), with the
    /// source map to render it.
    pub fn error_at(&self, span: Range<usize>, message: String) -> ProjectError {
        ProjectError::one(&self.file, self.text.clone(), span, message)
    }

    /// A project-file error at `path` when the rule set `rs` names a file
    /// or directory that is not there (found when the rule set is loaded,
    /// so commands that do not read it are not stopped by it).
    pub fn missing_path(&self, rs: &RuleSet) -> Option<ProjectError> {
        (!rs.path.exists()).then(|| {
            let written = self.text.get(rs.path_span.clone()).unwrap_or_default();
            self.error_at(
                rs.path_span.clone(),
                format!(
                    "`path` of [rulesets.{}] names {written}, which does not exist (relative to this file; a directory of .vital files, or one file)",
                    rs.name
                ),
            )
        })
    }

    /// The rule set named `name`.
    pub fn ruleset(&self, name: &str) -> Option<&RuleSet> {
        self.rulesets.iter().find(|r| r.name == name)
    }
}

impl RuleSet {
    /// The input files: `inputs` with globs expanded (each pattern's
    /// matches sorted), in the order written. A pattern that matches no
    /// file is an error naming it.
    pub fn input_files(&self) -> Result<Vec<PathBuf>, String> {
        let mut out = Vec::new();
        for pattern in &self.inputs {
            if !pattern.contains(['*', '?', '[']) {
                out.push(PathBuf::from(pattern));
                continue;
            }
            let mut found: Vec<PathBuf> = glob::glob(pattern)
                .map_err(|e| format!("`{pattern}` is not a valid pattern: {e}"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(format!("no file matches `{pattern}`"));
            }
            found.sort();
            out.extend(found);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn err(text: &str) -> (String, usize) {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&write(dir.path(), text)).unwrap_err();
        let d = &e.diagnostics[0];
        let line = e.sources.file(d.file).line_col(d.span.start).line;
        (d.message.clone(), line)
    }

    #[test]
    fn a_full_file_reads() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("VITAL_TEST_PW", "s3cret");
        let p = write(
            dir.path(),
            r#"
[project]
name = "acme"

[rulesets.main]
path = "rules"
inputs = ["data/*.jsonl", "extra.csv"]
sample = "data/sample.jsonl"
value = "arr"
at_risk = ["danger"]

[rulesets.main.gates]
max_rejected = "1.5%"
require_columns = true

[rulesets.main.read]
delimiter = ";"
nulls = ["N/A"]
true_values = ["yes"]
false_values = ["no"]
account = "number"

[rulesets.main.columns]
nps = "NPS Score"
feature_usage = { column = "Usage", scale = 100 }
renewal_date = { format = "%m/%d/%Y" }
tier = { values = { "Enterprise" = "enterprise" } }

[history]
store = "postgres://vital:${VITAL_TEST_PW}@localhost/vital?x=$${y}"
"#,
        );
        let p = load(&p).unwrap();
        assert_eq!(p.name.as_deref(), Some("acme"));
        let r = &p.rulesets[0];
        assert_eq!(r.name, "main");
        assert_eq!(r.path, dir.path().join("rules"));
        assert_eq!(r.gates.max_rejected, Some(Threshold::Share(1.5)));
        assert!(r.gates.require_columns);
        assert_eq!(r.read.delimiter, b';');
        assert!(r.read.numeric_account);
        assert_eq!(r.columns["nps"].value.column.as_deref(), Some("NPS Score"));
        assert_eq!(r.columns["feature_usage"].value.scale, Some(100.0));
        assert_eq!(
            r.columns["tier"].value.values["Enterprise"],
            "enterprise".to_string()
        );
        assert_eq!(
            p.store().unwrap().as_deref(),
            Some("postgres://vital:s3cret@localhost/vital?x=${y}")
        );
    }

    #[test]
    fn type_errors_say_what_is_expected_in_plain_words() {
        let (msg, line) = err("[notify]\nwebhook = \"https://h/x\"\nattempts = \"5\"\n");
        assert_eq!(msg, "invalid type: string \"5\", expected a whole number");
        assert_eq!(line, 3);
        let (msg, line) = err("[history]\nstore = \"\"\n");
        assert_eq!(
            msg,
            "`store` is empty: a SQLite file path (`\".vital/history.db\"`) or a postgres:// URL; leave the key out for no store"
        );
        assert_eq!(line, 2);
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean_and_their_line() {
        let (msg, line) = err("[rulesets.main]\npath = \"r\"\ninput = [\"a.jsonl\"]\n");
        assert_eq!(msg, "unknown key `input`; did you mean `inputs`?");
        assert_eq!(line, 3);
        let (msg, line) =
            err("[rulesets.main]\npath = \"r\"\n[rulesets.main.gates]\nmax_reject = 3\n");
        assert_eq!(
            msg,
            "unknown key `max_reject`; did you mean `max_rejected`?"
        );
        assert_eq!(line, 4);
        let (msg, _) = err("[histroy]\nstore = \"x\"\n");
        assert_eq!(msg, "unknown key `histroy`; did you mean `history`?");
    }

    #[test]
    fn bad_values_are_placed() {
        let (msg, line) =
            err("[rulesets.main]\npath = \"r\"\n[rulesets.main.gates]\nmax_rejected = \"lots\"\n");
        assert!(msg.starts_with("`max_rejected` is a count"), "{msg}");
        assert_eq!(line, 4);
        let (msg, line) =
            err("[rulesets.main]\npath = \"r\"\n[rulesets.main.read]\ndelimiter = \";;\"\n");
        assert!(
            msg.starts_with("`delimiter` is one ASCII character"),
            "{msg}"
        );
        assert_eq!(line, 4);
        let (msg, line) = err("[rulesets.main]\npath = 3\n");
        assert!(msg.contains("invalid type"), "{msg}");
        assert_eq!(line, 2);
        let (msg, line) = err("[rulesets.main]\npath = \"r\n");
        assert!(!msg.is_empty());
        assert_eq!(line, 2);
        let (msg, line) = err("[rulesets.main]\ninputs = []\n");
        assert!(msg.contains("missing field `path`"), "{msg}");
        assert_eq!(line, 1);
    }

    #[test]
    fn an_unset_variable_is_an_error_naming_it() {
        let (msg, line) =
            err("[rulesets.main]\npath = \"r\"\ninputs = [\"${VITAL_SURELY_UNSET_VAR}/*.csv\"]\n");
        assert_eq!(
            msg,
            "the environment variable `VITAL_SURELY_UNSET_VAR` is not set (the value uses `${VITAL_SURELY_UNSET_VAR}`)"
        );
        assert_eq!(line, 3);
        // the store's are expanded when it is opened: the file reads
        let dir = tempfile::tempdir().unwrap();
        let p = load(&write(
            dir.path(),
            "[rulesets.main]\npath = \"r\"\n[history]\nstore = \"postgres://u:${VITAL_SURELY_UNSET_VAR}@h/db\"\n",
        ))
        .unwrap();
        let e = p.store().unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            d.message,
            "the environment variable `VITAL_SURELY_UNSET_VAR` is not set (the value uses `${VITAL_SURELY_UNSET_VAR}`)"
        );
        assert_eq!(e.sources.file(d.file).line_col(d.span.start).line, 4);
    }

    #[test]
    fn stale_after_is_days_or_a_duration() {
        let days = |v: &str| {
            let dir = tempfile::tempdir().unwrap();
            let p = write(dir.path(), &format!("[history]\nstale_after = {v}\n"));
            load(&p).unwrap().stale_after_days()
        };
        assert_eq!(days("3"), 3);
        assert_eq!(days("\"1 day\""), 1);
        assert_eq!(days("\"10 days\""), 10);
        assert_eq!(days("\"2 weeks\""), 14);
        assert_eq!(days("0"), 0);
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[history]\nstore = \"h.db\"\n");
        assert_eq!(
            load(&p).unwrap().stale_after_days(),
            DEFAULT_STALE_AFTER_DAYS
        );
        for bad in ["\"7 dayz\"", "-1", "\"seven days\"", "7.5", "\"3 months\""] {
            let (msg, line) = err(&format!(
                "[history]\nstore = \"h.db\"\nstale_after = {bad}\n"
            ));
            assert!(
                msg.starts_with("`stale_after` is a number of days (`7`) or a duration"),
                "{bad}: {msg}"
            );
            assert_eq!(line, 3, "{bad}");
        }
        let (msg, _) = err("[history]\nstale_afte = 3\n");
        assert_eq!(msg, "unknown key `stale_afte`; did you mean `stale_after`?");
    }

    #[test]
    fn notify_keys_read_with_defaults_and_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "[notify]\nwebhook = \"https://hooks.example.com/services/T/B/secret\"\nattempts = 3\nbackoff_ms = 50\n",
        );
        let p = load(&p).unwrap();
        let n = p.notify.clone().unwrap();
        assert_eq!((n.attempts, n.backoff_ms, n.timeout_ms), (3, 50, 10_000));
        assert_eq!(
            p.webhook().unwrap().as_deref(),
            Some("https://hooks.example.com/services/T/B/secret")
        );
        let (msg, line) = err("[notify]\nwebhook = \"http://h\"\n\nattempts = 0\n");
        assert_eq!(msg, "`attempts` is a whole number from 1 to 100, not 0");
        assert_eq!(line, 4);
        let (msg, line) = err("[notify]\ntimeout_ms = -5\n");
        assert_eq!(
            msg,
            "`timeout_ms` is a whole number from 1 to 600000, not -5"
        );
        assert_eq!(line, 2);
        let (msg, line) = err("[notify]\nwebhook = \"hooks.example.com/x\"\n");
        assert_eq!(
            msg,
            "`webhook` is an http:// or https:// URL; `hooks.example.com/…` has no scheme (`https://` first)"
        );
        assert_eq!(line, 2);
        let (msg, line) = err("[notify]\nwebhook = \"ftp://files.example.com/secret\"\n");
        assert_eq!(
            msg,
            "`webhook` is an http:// or https:// URL, not `ftp://files.example.com/…`"
        );
        assert_eq!(line, 2);
        // a `${…}` is checked when the webhook is asked for
        std::env::set_var("VITAL_TEST_EMPTY_HOOK", "");
        let empty = load(&write(
            dir.path(),
            "[notify]\nwebhook = \"${VITAL_TEST_EMPTY_HOOK}\"\n",
        ))
        .unwrap()
        .webhook()
        .unwrap_err();
        assert_eq!(
            empty.diagnostics[0].message,
            "`webhook` is empty (an environment variable set to nothing?): it is an http:// or https:// URL"
        );
        let (msg, _) = err("[notify]\nwebhok = \"http://h\"\n");
        assert_eq!(msg, "unknown key `webhok`; did you mean `webhook`?");
    }

    #[test]
    fn a_webhook_variable_is_read_only_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "[rulesets.main]\npath = \"r\"\n\n[notify]\nwebhook = \"${VITAL_SURELY_UNSET_HOOK}\"\n",
        );
        // other commands read the file without the secret
        let p = load(&p).unwrap();
        let e = p.webhook().unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            d.message,
            "the environment variable `VITAL_SURELY_UNSET_HOOK` is not set (the value uses `${VITAL_SURELY_UNSET_HOOK}`)"
        );
        assert_eq!(e.sources.file(d.file).line_col(d.span.start).line, 5);
        std::env::set_var("VITAL_TEST_HOOK_OK", "https://hooks.example.com/T/B/x");
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "[notify]\nwebhook = \"${VITAL_TEST_HOOK_OK}\"\n",
        );
        assert_eq!(
            load(&p).unwrap().webhook().unwrap().as_deref(),
            Some("https://hooks.example.com/T/B/x")
        );
        std::env::set_var("VITAL_TEST_HOOK_BAD", "not a url");
        let p = write(
            dir.path(),
            "[notify]\nwebhook = \"${VITAL_TEST_HOOK_BAD}\"\n",
        );
        let e = load(&p).unwrap().webhook().unwrap_err();
        assert!(e.diagnostics[0]
            .message
            .starts_with("`webhook` is an http://"));
    }

    #[test]
    fn redact_keeps_scheme_and_host() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T0/B0/secret"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redact("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(redact("http://user:pw@h:1/x?y"), "http://h:1/…");
        assert_eq!(redact("nonsense"), "…");
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "[rulesets.main]\npath = \"rules\"\n");
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        let p = discover(&deep).unwrap().unwrap();
        assert_eq!(p.rulesets[0].name, "main");
        let none = tempfile::tempdir().unwrap();
        // a temp dir has no vital.toml above it (unless the machine's root has one)
        if !Path::new("/vital.toml").exists() && !Path::new("/tmp/vital.toml").exists() {
            assert!(discover(none.path()).unwrap().is_none());
        }
    }

    #[test]
    fn globs_expand_sorted_and_a_pattern_without_files_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        for f in ["b.jsonl", "a.jsonl"] {
            std::fs::write(dir.path().join("data").join(f), "").unwrap();
        }
        let p = write(
            dir.path(),
            "[rulesets.main]\npath = \"rules\"\ninputs = [\"data/*.jsonl\"]\n[rulesets.other]\npath = \"o\"\ninputs = [\"nothing/*.csv\"]\n",
        );
        let p = load(&p).unwrap();
        let files = p.ruleset("main").unwrap().input_files().unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl"]);
        let e = p.ruleset("other").unwrap().input_files().unwrap_err();
        assert!(e.starts_with("no file matches"), "{e}");
    }
}
