//! `vital check`: parse and type-check a rule set; report in human, json,
//! github or sarif form.

use super::{default_paths, fail};
use crate::report;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use vital_check::load as files;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (default `.`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: report::Format,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: Args) -> ExitCode {
    let paths = default_paths(args.paths);
    let list = match files::collect(&paths) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    if list.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| files::display(p)).collect();
        return fail(format!("no .vital files found in {}", shown.join(", ")));
    }
    let files::Loaded {
        sources,
        diagnostics: mut io_diags,
        ..
    } = files::load(&list);
    let checked = vital_check::check(&sources);
    let mut diags = checked.diagnostics;
    diags.append(&mut io_diags);
    vital_syntax::diagnostic::sort_diagnostics(&mut diags);
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    if let Err(e) = report::write(
        &mut out,
        args.format,
        color,
        &sources,
        &diags,
        sources.len(),
    ) {
        return fail(format!("cannot write the report: {e}"));
    }
    let _ = out.flush();
    let errors = diags.iter().any(|d| d.is_error());
    if errors || (args.deny_warnings && !diags.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
