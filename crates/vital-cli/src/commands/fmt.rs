//! `vital fmt`: the canonical layout, in place or `--check`.

use super::{fail, stderr_color};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_check::load as files;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (default: the project's rule sets, else `.`).
    paths: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> ExitCode {
    let check = args.check;
    // a directory holding several rule sets is formatted as it is: file by
    // file, so the finding of `targets` does not matter here
    let paths: Vec<PathBuf> = match super::project::targets(args.paths, None) {
        Ok((targets, _)) => targets.into_iter().flat_map(|t| t.paths).collect(),
        Err(code) => return code,
    };
    let list = match files::collect(&paths) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let files::Loaded {
        sources,
        diagnostics: io_diags,
        bom,
        ..
    } = files::load(&list);
    let mut failed = !io_diags.is_empty();
    let stdout = std::io::stdout();
    let color = stderr_color();
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
                } else if let Err(e) = std::fs::write(
                    &list[id.index()],
                    // a byte-order mark the file had stays
                    if bom.get(id.index()) == Some(&true) {
                        format!("\u{FEFF}{formatted}")
                    } else {
                        formatted
                    },
                ) {
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
