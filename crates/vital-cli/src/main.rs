//! `vital`: check, format, test and run customer-health rules.

mod files;
mod report;
mod run;

use clap::{Parser, Subcommand};

/// The nightly run allocates many small values per record; mimalloc is
/// markedly faster at that than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "vital",
    version,
    about = "Customer-health scoring rules: check, format, test, run"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a rule set (files or directories; default `.`).
    Check {
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: report::Format,
        /// Exit 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Evaluate snapshots (JSON Lines, a JSON array, CSV, or `-` for stdin).
    Run {
        /// The rule set (a directory or files).
        #[arg(long, default_value = ".")]
        rules: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format (default: table on a terminal, jsonl otherwise).
        #[arg(long, value_enum)]
        format: Option<run::OutFormat>,
        /// Add each score's base, adjustments and triggers (jsonl).
        #[arg(long)]
        explain: bool,
        /// Report every snapshot, not only each account's latest.
        #[arg(long, conflicts_with = "as_of")]
        all: bool,
        /// Report each account's latest snapshot on or before this date.
        #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Why an account scores what it does, for people.
    Explain {
        #[arg(long, default_value = ".")]
        rules: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        account: String,
        /// Explain the latest snapshot on or before this date.
        #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Run the `test` blocks of a rule set.
    Test {
        path: Option<PathBuf>,
        /// Only tests whose name contains this text.
        #[arg(long)]
        filter: Option<String>,
    },
    /// The language server, on stdin/stdout.
    Lsp,
    /// Format rule files in place (canonical layout, comments kept).
    Fmt {
        paths: Vec<PathBuf>,
        /// Change nothing; list the files that would change and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
        } => cmd_check(paths, format, deny_warnings),
        Command::Fmt { paths, check } => cmd_fmt(paths, check),
        Command::Run {
            rules,
            files,
            format,
            explain,
            all,
            as_of,
        } => cmd_run(rules, files, format, explain, all, as_of),
        Command::Explain {
            rules,
            files,
            account,
            as_of,
        } => cmd_explain(rules, files, account, as_of),
        Command::Test { path, filter } => cmd_test(path, filter),
        Command::Lsp => match vital_lsp::run_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format!("the language server stopped: {e}")),
        },
    }
}

fn parse_date_arg(s: &str) -> Result<chrono::NaiveDate, String> {
    vital_eval::reader::parse_date(s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Load and check a rule set; on errors, report them on stderr.
fn load_rules(
    path: &std::path::Path,
) -> Result<(vital_syntax::SourceMap, vital_check::Checked), ExitCode> {
    let list = match files::collect(&[path.to_path_buf()]) {
        Ok(l) => l,
        Err(e) => return Err(fail(e)),
    };
    if list.is_empty() {
        return Err(fail(format!(
            "no .vital files found in {}",
            files::display(path)
        )));
    }
    let (sources, io_diags) = files::load(&list);
    let checked = vital_check::check(&sources);
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let errors: Vec<&vital_syntax::Diagnostic> = io_diags
        .iter()
        .chain(checked.diagnostics.iter().filter(|d| d.is_error()))
        .collect();
    if !errors.is_empty() {
        for d in &errors {
            eprint!("{}", vital_syntax::Report::new(d, &sources).render(color));
        }
        eprintln!(
            "error: the rules in `{}` have {} error{}; nothing was evaluated",
            files::display(path),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        return Err(ExitCode::from(1));
    }
    Ok((sources, checked))
}

/// The checked rules and the snapshot inputs of `run` and `explain`.
fn load_rules_and_inputs(
    rules: &std::path::Path,
    files: &[PathBuf],
) -> Result<
    (
        vital_syntax::SourceMap,
        vital_check::Checked,
        Vec<run::Input>,
    ),
    ExitCode,
> {
    let (sources, checked) = load_rules(rules)?;
    let inputs = run::inputs(files).map_err(fail)?;
    Ok((sources, checked, inputs))
}

fn cmd_run(
    rules: PathBuf,
    files: Vec<PathBuf>,
    format: Option<run::OutFormat>,
    explain: bool,
    all: bool,
    as_of: Option<chrono::NaiveDate>,
) -> ExitCode {
    let (sources, checked, inputs) = match load_rules_and_inputs(&rules, &files) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(ruleset) = checked.valid() else {
        return ExitCode::from(1);
    };
    let stdout_tty = std::io::stdout().is_terminal();
    let format = format.unwrap_or(if stdout_tty {
        run::OutFormat::Table
    } else {
        run::OutFormat::Jsonl
    });
    let opts = run::Options {
        format,
        explain,
        pick: match (all, as_of) {
            (true, _) => run::Pick::All,
            (false, Some(d)) => run::Pick::AsOf(d),
            (false, None) => run::Pick::Latest,
        },
        color: stdout_tty && std::env::var_os("NO_COLOR").is_none(),
        progress: std::io::stderr().is_terminal(),
    };
    let engine = vital_eval::Engine::new(ruleset);
    let schema = vital_eval::Schema::new(ruleset);
    let stdout = std::io::stdout();
    let out: Box<dyn Write> = Box::new(std::io::BufWriter::with_capacity(1 << 20, stdout.lock()));
    let mut writer = match run::Writer::new(&engine, &sources, &opts, out) {
        Ok(w) => w,
        Err(e) => return fail(format!("cannot write results: {e}")),
    };
    let progress = opts.progress.then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos} records read, {per_sec} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        p
    });
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let result = run::run(
        &schema,
        &inputs,
        &mut writer,
        &mut errors,
        progress.as_ref(),
    );
    if let Some(p) = &progress {
        p.finish_and_clear();
    }
    if let Err(e) = result {
        if e == run::CLOSED {
            return ExitCode::SUCCESS;
        }
        return fail(e);
    }
    let tally = match writer.finish() {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => return fail(format!("cannot write results: {e}")),
    };
    if tally.rejected > 0 {
        let _ = writeln!(
            errors,
            "error: {} of {} record{} rejected; the others were evaluated",
            tally.rejected,
            tally.records,
            if tally.records == 1 { " was" } else { "s were" }
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn cmd_explain(
    rules: PathBuf,
    files: Vec<PathBuf>,
    account: String,
    as_of: Option<chrono::NaiveDate>,
) -> ExitCode {
    let (sources, checked, inputs) = match load_rules_and_inputs(&rules, &files) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(ruleset) = checked.valid() else {
        return ExitCode::from(1);
    };
    let engine = vital_eval::Engine::new(ruleset);
    let schema = vital_eval::Schema::new(ruleset);
    let stderr = std::io::stderr();
    let mut errors = stderr.lock();
    let (group, rejected) = match run::account_group(&schema, &inputs, &account, &mut errors) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let pick = group
        .iter()
        .enumerate()
        .filter(|(_, s)| as_of.is_none_or(|d| s.as_of <= d))
        .max_by_key(|(_, s)| s.as_of)
        .map(|(i, _)| i);
    let Some(idx) = pick else {
        return fail(match as_of {
            Some(d) => format!(
                "no snapshot of account `{account}` on or before {}",
                d.format("%Y-%m-%d")
            ),
            None => format!("no snapshot of account `{account}` in the input"),
        });
    };
    let outcomes = engine.evaluate_group(&group, true);
    let text = vital_eval::results::explain_text(&engine, &sources, &group, idx, &outcomes[idx]);
    print!("{text}");
    if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn cmd_test(path: Option<PathBuf>, filter: Option<String>) -> ExitCode {
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let (sources, checked) = match load_rules(&path) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let Some(ruleset) = checked.valid() else {
        return ExitCode::from(1);
    };
    let engine = vital_eval::Engine::new(ruleset);
    let tests: Vec<&vital_check::ir::Test> = ruleset
        .tests
        .iter()
        .filter(|t| filter.as_ref().is_none_or(|f| t.name.contains(f.as_str())))
        .collect();
    let results: Vec<vital_eval::testing::TestResult> = {
        use rayon::prelude::*;
        tests
            .par_iter()
            .map(|t| vital_eval::testing::run_test(&engine, t))
            .collect()
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(
        out,
        "running {} test{}",
        results.len(),
        if results.len() == 1 { "" } else { "s" }
    );
    for r in &results {
        let _ = writeln!(
            out,
            "test {} ... {}",
            r.name,
            if r.passed() { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<&vital_eval::testing::TestResult> =
        results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for r in &failed {
            let _ = writeln!(
                out,
                "\n---- {} ({}) ----",
                r.name,
                vital_eval::results::locate(&sources, r.loc)
            );
            for f in &r.failures {
                let file = sources.file(f.loc.file);
                let text = file.text
                    [f.loc.span.start.min(file.text.len())..f.loc.span.end.min(file.text.len())]
                    .to_string();
                let _ = writeln!(
                    out,
                    "  {}  at {}",
                    text.split_whitespace().collect::<Vec<_>>().join(" "),
                    vital_eval::results::locate(&sources, f.loc)
                );
                let _ = writeln!(out, "    {}", f.actual);
            }
            let me = r.snapshots.len() - 1;
            let shown = failing_scores(ruleset, r);
            for i in shown {
                let _ = writeln!(out);
                for line in vital_eval::results::waterfall(
                    &engine,
                    &sources,
                    &r.snapshots[me],
                    &r.outcome,
                    i,
                )
                .lines()
                {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        let _ = writeln!(out);
    }
    if tests.is_empty() && filter.is_some() {
        let _ = writeln!(out, "no test matches the filter");
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The scores a failing test's expectations read (every score when one
/// reads health or status).
fn failing_scores(rules: &vital_check::RuleSet, r: &vital_eval::testing::TestResult) -> Vec<usize> {
    use vital_check::ir::{Expectation, ExprKind};
    let mut out: Vec<usize> = Vec::new();
    let mut all = false;
    fn walk(e: &vital_check::ir::Expr, out: &mut Vec<usize>, all: &mut bool) {
        match &e.kind {
            ExprKind::Score(s) if !out.contains(&(*s as usize)) => out.push(*s as usize),
            ExprKind::Health | ExprKind::Status => *all = true,
            ExprKind::Neg(a) | ExprKind::Not(a) | ExprKind::Abs(a) | ExprKind::Round(a) => {
                walk(a, out, all)
            }
            ExprKind::Arith(_, a, b)
            | ExprKind::Compare(_, a, b)
            | ExprKind::And(a, b)
            | ExprKind::Or(a, b)
            | ExprKind::Coalesce(a, b) => {
                walk(a, out, all);
                walk(b, out, all);
            }
            ExprKind::IsMissing { value, .. } => walk(value, out, all),
            _ => {}
        }
    }
    let failing: Vec<vital_check::ir::Loc> = r.failures.iter().map(|f| f.loc).collect();
    for t in &rules.tests {
        if t.name != r.name {
            continue;
        }
        for ex in &t.expects {
            if let Expectation::Cond { cond, loc } = ex {
                if failing.contains(loc) {
                    walk(cond, &mut out, &mut all);
                }
            } else if let Expectation::Triggered { loc, .. } = ex {
                if failing.contains(loc) {
                    all = true;
                }
            }
        }
    }
    if all {
        (0..rules.scores.len()).collect()
    } else {
        out
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(1)
}

fn cmd_check(paths: Vec<PathBuf>, format: report::Format, deny_warnings: bool) -> ExitCode {
    let paths = default_paths(paths);
    let list = match files::collect(&paths) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    if list.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| files::display(p)).collect();
        return fail(format!("no .vital files found in {}", shown.join(", ")));
    }
    let (sources, mut io_diags) = files::load(&list);
    let checked = vital_check::check(&sources);
    let mut diags = checked.diagnostics;
    diags.append(&mut io_diags);
    vital_syntax::diagnostic::sort_diagnostics(&mut diags);
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    if let Err(e) = report::write(&mut out, format, color, &sources, &diags, sources.len()) {
        return fail(format!("cannot write the report: {e}"));
    }
    let _ = out.flush();
    let errors = diags.iter().any(|d| d.is_error());
    if errors || (deny_warnings && !diags.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn cmd_fmt(paths: Vec<PathBuf>, check: bool) -> ExitCode {
    let paths = default_paths(paths);
    let list = match files::collect(&paths) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let (sources, io_diags) = files::load(&list);
    let mut failed = !io_diags.is_empty();
    let stdout = std::io::stdout();
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut changed = 0usize;
    for d in &io_diags {
        eprint!("{}", vital_syntax::Report::new(d, &sources).render(color));
    }
    for (id, file) in sources.files() {
        if io_diags.iter().any(|d| d.file == id) {
            continue;
        }
        match vital_syntax::format::format_source(id, &file.text) {
            Ok(formatted) => {
                if formatted == file.text {
                    continue;
                }
                changed += 1;
                if check {
                    let _ = writeln!(stdout.lock(), "{}", file.path);
                } else if let Err(e) = std::fs::write(&list[id.index()], formatted) {
                    eprintln!("error: cannot write `{}`: {e}", file.path);
                    failed = true;
                } else {
                    let _ = writeln!(stdout.lock(), "formatted {}", file.path);
                }
            }
            Err(diags) => {
                failed = true;
                eprintln!(
                    "error: `{}` does not parse; it was left unchanged",
                    file.path
                );
                for d in &diags {
                    eprint!("{}", vital_syntax::Report::new(d, &sources).render(color));
                }
            }
        }
    }
    if check && changed > 0 {
        eprintln!(
            "{changed} file{} would be reformatted; run `vital fmt` to fix",
            if changed == 1 { "" } else { "s" }
        );
    }
    if failed || (check && changed > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
