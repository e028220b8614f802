//! `vital check`: parse and type-check a rule set; report in human, json,
//! github or sarif form. With `--sample FILE`, a rule set that checks clean
//! is also evaluated on the snapshots of FILE (read by the one reader, as
//! `vital run` reads them), and rules that fire for no account
//! (`vital::never-fires`) and band arms no account takes
//! (`vital::arm-never-taken`) are warnings — the same ones the language
//! server shows (`vital_lsp::sample`).

use super::fail;
use crate::report;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use vital_check::load as files;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (default: the project's rule sets, else `.`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: report::Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Only this rule set of vital.toml.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Also evaluate the rule set on these snapshots (a small sample of real
    /// accounts) and warn about rules that fire for no account and band arms
    /// no account takes.
    #[arg(long, value_name = "FILE")]
    sample: Option<PathBuf>,
}

/// A path that cannot be read, or holds no rule file: an error on stderr
/// for people; for CI's formats a `vital::io` diagnostic in the report, so
/// the JSON or SARIF it uploads is not left empty. Exit 1.
fn io_error(format: report::Format, path: &str, message: String) -> ExitCode {
    if matches!(format, report::Format::Human) {
        return fail(message);
    }
    let mut sources = vital_syntax::SourceMap::default();
    let file = sources.add(vital_syntax::SourceFile::new(
        path.to_string(),
        String::new(),
    ));
    let diags = vec![vital_syntax::Diagnostic::new(
        vital_syntax::Code::Io,
        file,
        vital_syntax::Span::new(0, 0),
        message,
    )];
    let unit = report::Unit {
        label: None,
        sources: &sources,
        diags: &diags,
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = report::write(&mut out, format, false, &[unit]) {
        return fail(format!("cannot write the report: {e}"));
    }
    let _ = out.flush();
    ExitCode::from(1)
}

pub fn run(args: Args) -> ExitCode {
    // vital.toml first: an error in it (or a rule set `path` that is not
    // there) stops the command, and is reported in the format asked for, so
    // CI's JSON or SARIF is not left empty
    let project_error = match super::project::discover_or_error() {
        Err(e) => Some(e),
        Ok(Some(p)) if args.paths.is_empty() => p
            .rulesets
            .iter()
            .filter(|r| args.ruleset.as_deref().is_none_or(|n| n == r.name))
            .find_map(|r| p.missing_path(r)),
        Ok(_) => None,
    };
    if let Some(e) = project_error {
        if matches!(args.format, report::Format::Human) {
            return super::project::report(&e);
        }
        let unit = report::Unit {
            label: None,
            sources: &e.sources,
            diags: &e.diagnostics,
        };
        let mut out = std::io::stdout().lock();
        if let Err(e) = report::write(&mut out, args.format, false, &[unit]) {
            return fail(format!("cannot write the report: {e}"));
        }
        let _ = out.flush();
        return ExitCode::from(1);
    }
    let (targets, finding) = match super::project::targets(args.paths, args.ruleset.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Some(f) = finding {
        eprintln!("{f}");
    }
    let mut checked = Vec::new();
    for t in &targets {
        let shown: Vec<String> = t.paths.iter().map(|p| files::display(p)).collect();
        let list = match files::collect(&t.paths) {
            Ok(l) => l,
            Err(e) => return io_error(args.format, &e.path, e.to_string()),
        };
        if list.is_empty() {
            return io_error(
                args.format,
                &shown.join(", "),
                format!("no .vital files found in {}", shown.join(", ")),
            );
        }
        let files::Loaded {
            sources,
            diagnostics: mut io_diags,
            ..
        } = files::load(&list);
        let checked_rules = vital_check::check(&sources);
        let mut diags = checked_rules.diagnostics.clone();
        if let (Some(sample), Some(rules), true) = (
            &args.sample,
            checked_rules.valid(),
            io_diags.iter().all(|d| !d.is_error()),
        ) {
            match sample_warnings(rules, &t.paths, sample) {
                Ok(mut w) => diags.append(&mut w),
                Err(code) => return code,
            }
        }
        diags.append(&mut io_diags);
        vital_syntax::diagnostic::sort_diagnostics(&mut diags);
        checked.push((t.label.clone(), sources, diags));
    }
    let units: Vec<report::Unit<'_>> = checked
        .iter()
        .map(|(label, sources, diags)| report::Unit {
            label: label.clone(),
            sources,
            diags,
        })
        .collect();
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    if let Err(e) = report::write(&mut out, args.format, color, &units) {
        return fail(format!("cannot write the report: {e}"));
    }
    let _ = out.flush();
    let all = || checked.iter().flat_map(|(_, _, d)| d.iter());
    let errors = all().any(|d| d.is_error());
    if errors || (args.deny_warnings && all().next().is_some()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The sample's warnings for a rule set that checks clean: read with the
/// mapping of its rule set in vital.toml (when it is one of them).
fn sample_warnings(
    rules: &vital_check::RuleSet,
    paths: &[PathBuf],
    sample: &std::path::Path,
) -> Result<Vec<vital_syntax::Diagnostic>, ExitCode> {
    let canon = |p: &std::path::Path| std::fs::canonicalize(p).ok();
    let mapping = match super::project::discover()? {
        Some(p) => p
            .rulesets
            .iter()
            .find(|r| {
                paths
                    .iter()
                    .any(|x| canon(x).is_some() && canon(x) == canon(&r.path))
            })
            .and_then(|r| vital_input::mapping_for(r, rules).ok())
            .unwrap_or_default(),
        None => vital_eval::Mapping::default(),
    };
    let data = vital_lsp::sample::read(rules, &mapping, sample).map_err(fail)?;
    if data.rejected > 0 {
        eprintln!(
            "warning: {}: {} records rejected (see `vital run {}`); the sample's warnings count the accounts read",
            files::display(sample),
            data.rejected,
            files::display(sample)
        );
    }
    let Some(cov) = vital_lsp::sample::coverage(rules, &data.groups, None, &|| false) else {
        return Ok(Vec::new());
    };
    Ok(vital_lsp::sample::warnings(
        rules,
        &cov,
        &files::display(sample),
    ))
}
