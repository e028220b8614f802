//! One file per subcommand, as ruff and taplo do; what they share is here.

pub mod calibrate;
pub mod check;
pub mod compile;
pub mod diff;
pub mod explain;
pub mod fmt;
pub mod history;
pub mod init;
pub mod lsp;
pub mod notify;
pub mod playbooks;
pub mod project;
pub mod report;
pub mod run;
pub mod summary;
pub mod test;
pub mod test_report;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use vital_check::load as files;

/// Print `error: MSG` on stderr; exit status 1. An empty message was
/// reported already (a project-file error, with its place in `vital.toml`,
/// by [`project::report`]): nothing more is printed.
pub fn fail(msg: impl std::fmt::Display) -> ExitCode {
    let msg = msg.to_string();
    if !msg.is_empty() {
        eprintln!("error: {msg}");
    }
    ExitCode::from(1)
}

/// Write `text` to standard output. A reader that went away (`| head`)
/// is not an error, as for `vital run` without a store: the rest is
/// dropped, and the command's exit status stays what it was. Any other
/// write error is said on stderr (`print!` would panic on either).
pub fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to standard output: {e}");
        }
    }
}

/// `vital run`'s rule for rejected records, shared by every command that
/// scores snapshots (`run`, `summary`, `report`; docs/language.md, the
/// command line): none → 0; within vital.toml's `max_rejected` → a warning
/// and 0; otherwise an error saying how many, and 1.
pub fn rejected_verdict(
    errors: &mut dyn std::io::Write,
    rejected: usize,
    records: usize,
    max_rejected: Option<vital_project::Threshold>,
) -> ExitCode {
    if rejected == 0 {
        return ExitCode::SUCCESS;
    }
    let counts = rejected_counts(rejected, records, "record", "evaluated");
    match max_rejected {
        Some(t) if t.allows(rejected, records) => {
            let _ = writeln!(
                errors,
                "warning: {counts} (within `max_rejected` = {t} of vital.toml)"
            );
            ExitCode::SUCCESS
        }
        Some(t) => {
            let _ = writeln!(
                errors,
                "error: {counts}; more than `max_rejected` = {t} of vital.toml"
            );
            ExitCode::from(1)
        }
        None => {
            let _ = writeln!(errors, "error: {counts}");
            ExitCode::from(1)
        }
    }
}

/// `2 of 5 records were rejected; the others were evaluated`, or, when
/// every one was, `all 3 records were rejected; none was evaluated` (there
/// are no others to speak of). `noun` is singular; `done` what happened to
/// the accepted ones.
pub fn rejected_counts(rejected: usize, total: usize, noun: &str, done: &str) -> String {
    use vital_input::thousands;
    if rejected >= total && total > 1 {
        format!(
            "all {} {noun}s were rejected; none was {done}",
            thousands(total)
        )
    } else if rejected >= total {
        format!("the one {noun} was rejected; none was {done}")
    } else {
        format!(
            "{} of {} {noun}s {} rejected; the others were {done}",
            thousands(rejected),
            thousands(total),
            if rejected == 1 { "was" } else { "were" }
        )
    }
}

/// Colour on stderr: a terminal, and `NO_COLOR` unset.
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Colour on stdout: a terminal, and `NO_COLOR` unset.
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `--as-of` and other dates: `YYYY-MM-DD`.
pub fn parse_date_arg(s: &str) -> Result<chrono::NaiveDate, String> {
    vital_eval::reader::parse_date(s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// A checked rule set ready to evaluate, and its sources for messages.
pub struct Loaded {
    pub sources: vital_syntax::SourceMap,
    pub checked: vital_check::Checked,
}

impl Loaded {
    /// The checked rule set ([`load_rules`] only returns valid ones).
    pub fn ruleset(&self) -> Option<&vital_check::RuleSet> {
        self.checked.valid()
    }
}

/// Load and check a rule set; on errors, report them on stderr and give the
/// exit status to return.
pub fn load_rules(path: &Path) -> Result<Loaded, ExitCode> {
    load_rules_for(path, "evaluated")
}

/// [`load_rules`], saying what was not done when the rules have errors
/// (`vital compile`: nothing was written).
pub fn load_rules_for(path: &Path, undone: &str) -> Result<Loaded, ExitCode> {
    try_load_rules(path, undone).map_err(|e| {
        eprint!("{}", e.render(stderr_color()));
        ExitCode::from(1)
    })
}

/// Why a rule set did not load: its errors, and what to say after them.
pub struct NotLoaded {
    pub sources: vital_syntax::SourceMap,
    pub errors: Vec<vital_syntax::Diagnostic>,
    /// `error: …` to end with (`None` for a rule set that has no errors and
    /// still does not check, where the errors were said already).
    pub message: Option<String>,
}

impl NotLoaded {
    /// Each error as the human format renders it, then the message: what
    /// [`load_rules`] prints on stderr.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for d in &self.errors {
            out.push_str(&vital_syntax::Report::new(d, &self.sources).render(color));
        }
        if let Some(m) = &self.message {
            out.push_str(&format!("error: {m}\n"));
        }
        out
    }
}

/// Load and check a rule set, saying nothing: the checked rule set, or why
/// not (for [`load_rules_for`] to print, or a report to carry).
pub fn try_load_rules(path: &Path, undone: &str) -> Result<Loaded, NotLoaded> {
    let not = |message: String| NotLoaded {
        sources: vital_syntax::SourceMap::new(),
        errors: Vec::new(),
        message: Some(message),
    };
    let list = files::collect(&[path.to_path_buf()]).map_err(|e| not(e.to_string()))?;
    if list.is_empty() {
        return Err(not(format!(
            "no .vital files found in {}",
            files::display(path)
        )));
    }
    let files::Loaded {
        sources,
        diagnostics: io_diags,
        ..
    } = files::load(&list);
    let checked = vital_check::check(&sources);
    let errors: Vec<vital_syntax::Diagnostic> = io_diags
        .iter()
        .chain(checked.diagnostics.iter().filter(|d| d.is_error()))
        .cloned()
        .collect();
    if !errors.is_empty() {
        let message = format!(
            "the rules in `{}` have {} error{}; nothing was {undone}",
            files::display(path),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        return Err(NotLoaded {
            sources,
            errors,
            message: Some(message),
        });
    }
    if checked.valid().is_none() {
        return Err(NotLoaded {
            sources,
            errors,
            message: None,
        });
    }
    Ok(Loaded { sources, checked })
}

/// Paths given, or `.`.
pub fn default_paths(paths: Vec<std::path::PathBuf>) -> Vec<std::path::PathBuf> {
    if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths
    }
}
