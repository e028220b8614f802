//! `vital`: check, format, test and run customer-health rules.

mod files;
mod report;

use clap::{Parser, Subcommand};
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
