//! `vital check`: parse and type-check a rule set; report in human, json,
//! github or sarif form.

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
}

pub fn run(args: Args) -> ExitCode {
    let (targets, finding) = match super::project::targets(args.paths, args.ruleset.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Some(f) = finding {
        eprintln!("{f}");
    }
    let mut checked = Vec::new();
    for t in &targets {
        let list = match files::collect(&t.paths) {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        if list.is_empty() {
            let shown: Vec<String> = t.paths.iter().map(|p| files::display(p)).collect();
            return fail(format!("no .vital files found in {}", shown.join(", ")));
        }
        let files::Loaded {
            sources,
            diagnostics: mut io_diags,
            ..
        } = files::load(&list);
        let mut diags = vital_check::check(&sources).diagnostics;
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
