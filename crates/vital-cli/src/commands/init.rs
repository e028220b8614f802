//! `vital init [DIR] [--from SAMPLE]`: scaffold a project — `vital.toml`
//! (docs/project.md), a rule set under `rules/` and `.vital/` in
//! `.gitignore`. With `--from`, the signals and events are inferred from a
//! sample snapshot file ([`infer`]) and the starter rules chosen from them
//! ([`generate`]); without it, a commented example with a tiny sample.
//!
//! It never overwrites a file: when any file it would write exists, it
//! writes nothing. The rules are formatted as `vital fmt` would, and checked
//! and their tests run before anything is written.

mod generate;
mod infer;

use super::fail;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use vital_syntax::{SourceFile, SourceMap};

#[derive(clap::Args)]
pub struct Args {
    /// The project's directory (created if needed; default `.`).
    dir: Option<PathBuf>,
    /// Infer the signals and events from this sample snapshot file (`.csv`,
    /// `.jsonl` or `.json`) instead of writing the example project.
    #[arg(long, value_name = "SAMPLE")]
    from: Option<PathBuf>,
}

const EXAMPLE_TOML: &str = include_str!("init/example/vital.toml");
const EXAMPLE_RULES: [(&str, &str); 3] = [
    ("signals.vital", include_str!("init/example/signals.vital")),
    ("scores.vital", include_str!("init/example/scores.vital")),
    ("tests.vital", include_str!("init/example/tests.vital")),
];
const EXAMPLE_SAMPLE: &str = include_str!("init/example/sample.jsonl");

/// The line `.gitignore` gets.
const IGNORE: &str = ".vital/";

pub fn run(args: Args) -> ExitCode {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    let dir_abs = match resolve(&dir) {
        Ok(d) => d,
        Err(e) => return fail(format!("cannot use `{}`: {e}", show(&dir))),
    };
    if dir_abs.exists() && !dir_abs.is_dir() {
        return fail(format!("`{}` is not a directory", show(&dir)));
    }
    let name = dir_abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vital project".into());

    // what to write: (path relative to the project, contents)
    let mut files: Vec<(String, String)> = Vec::new();
    let mut summary: Vec<(String, String)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut run_hint = String::from("vital run");
    let intro;
    match &args.from {
        Some(from) => {
            let sample = match infer::read(from) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let sample_abs = match resolve(from) {
                Ok(p) => p,
                Err(e) => return fail(format!("cannot use `{}`: {e}", show(from))),
            };
            let rel = relative(&sample_abs, &dir_abs);
            let project = generate::project(&sample, &rel, &show(from), &name);
            intro = format!(
                "from {} ({} record{}, {} account{})",
                show(from),
                sample.records,
                plural(sample.records),
                sample.accounts,
                plural(sample.accounts)
            );
            files.push(("vital.toml".into(), project.toml));
            for (file, text) in project.rules {
                files.push((format!("rules/{file}"), text));
            }
            summary.push((
                "vital.toml".into(),
                "the project file: the rule set, the sample as its input, column mapping".into(),
            ));
            summary.push(("rules/signals.vital".into(), {
                let n = |k: usize| {
                    if k == 1 {
                        "declaration"
                    } else {
                        "declarations"
                    }
                };
                if project.commented == 0 {
                    format!(
                        "{} {} inferred from the sample",
                        project.declared,
                        n(project.declared)
                    )
                } else {
                    format!(
                        "{} {} the rules read, {} more commented out",
                        project.declared,
                        n(project.declared),
                        project.commented
                    )
                }
            }));
            summary.push((
                "rules/scores.vital".into(),
                format!(
                    "two starter scores ({}), the status block, one playbook",
                    project.scores.join(", ")
                ),
            ));
            summary.push(("rules/tests.vital".into(), "one test".into()));
            for c in &sample.columns {
                if c.name != c.source {
                    notes.push(format!(
                        "the column \"{}\" is the signal {}",
                        c.source, c.name
                    ));
                }
                if c.scale.is_some() {
                    notes.push(format!(
                        "{} looks like fractions (0 to 1): read as a percent scaled by 100",
                        c.name
                    ));
                }
                if let Some(h) = &c.hint {
                    notes.push(format!("{}: {h}", c.name));
                }
                if !c.nulls.is_empty() {
                    let quoted: Vec<String> = c.nulls.iter().map(|n| format!("{n:?}")).collect();
                    notes.push(format!(
                        "{} writes {} for a missing value: read as missing (`nulls` in vital.toml)",
                        c.name,
                        quoted.join(" and ")
                    ));
                }
                if let Some(f) = c.date_format {
                    notes.push(format!(
                        "{} holds dates written {f:?}: read with that format",
                        c.name
                    ));
                }
                if !c.value_map.is_empty() {
                    let pairs: Vec<String> = c
                        .value_map
                        .iter()
                        .map(|(raw, v)| format!("\"{raw}\" → {v}"))
                        .collect();
                    notes.push(format!("{} values mapped: {}", c.name, pairs.join(", ")));
                }
            }
            notes.extend(sample.notes.iter().cloned());
            run_hint = format!("vital run            # scores {rel}");
        }
        None => {
            intro = "with an example rule set and a tiny sample".to_string();
            files.push((
                "vital.toml".into(),
                EXAMPLE_TOML.replace("\"@NAME@\"", &generate::toml_string(&name)),
            ));
            for (file, text) in EXAMPLE_RULES {
                files.push((format!("rules/{file}"), text.to_string()));
            }
            files.push(("data/sample.jsonl".into(), EXAMPLE_SAMPLE.to_string()));
            summary.push((
                "vital.toml".into(),
                "the project file, with the settings you may need commented".into(),
            ));
            summary.push((
                "rules/".into(),
                "signals, three scores, the status block, two playbooks, two tests".into(),
            ));
            summary.push((
                "data/sample.jsonl".into(),
                "five snapshots of four accounts".into(),
            ));
        }
    }

    // nothing is overwritten: refuse before writing anything
    let mut existing: Vec<String> = files
        .iter()
        .filter(|(f, _)| dir_abs.join(f).symlink_metadata().is_ok())
        .map(|(f, _)| f.clone())
        .collect();
    if existing.is_empty() {
        existing.extend(vital_files(&dir_abs.join("rules")));
    }
    if !existing.is_empty() {
        eprintln!(
            "error: not initialising `{}`: {} exist{} already; nothing was written",
            show(&dir),
            existing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if existing.len() == 1 { "s" } else { "" }
        );
        eprintln!("  (move them away, or run `vital init` in another directory)");
        return ExitCode::from(1);
    }

    // the rules as `vital fmt` writes them, checked and their tests passing
    if let Err(e) = format_and_verify(&mut files) {
        return fail(format!(
            "{e}\nnothing was written; this is a bug in `vital init`, please report it with the sample"
        ));
    }

    for (file, text) in &files {
        let path = dir_abs.join(file);
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return fail(format!("cannot create `{}`: {e}", show(parent)));
            }
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            return fail(format!("cannot write `{}`: {e}", show(&path)));
        }
    }
    match gitignore(&dir_abs) {
        Ok(Some(what)) => summary.push((".gitignore".into(), what)),
        Ok(None) => {}
        Err(e) => return fail(format!("cannot update `.gitignore`: {e}")),
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = writeln!(out, "Created a Vital project in {} {intro}:", show(&dir));
    let width = summary.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (file, what) in &summary {
        let _ = writeln!(out, "  {file:width$}  {what}");
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for n in &notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    let _ = writeln!(out, "\nNext:");
    if dir != Path::new(".") {
        let _ = writeln!(out, "  cd {}", show(&dir));
    }
    let _ = writeln!(out, "  vital check          # type-check the rules");
    let _ = writeln!(out, "  vital test           # run the test blocks");
    let _ = writeln!(out, "  {run_hint}");
    let _ = writeln!(
        out,
        "Then edit rules/ (docs/language.md) and vital.toml (docs/project.md)."
    );
    ExitCode::SUCCESS
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn show(p: &Path) -> String {
    vital_check::load::display(p)
}

/// `.vital` files under `dir` (relative to its parent, `rules/…`).
fn vital_files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| e.path().extension().is_some_and(|x| x == "vital"))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
            format!("rules/{}", show(rel))
        })
        .collect();
    found.sort();
    found
}

/// Format the rule files in `files` in place, then check them and run their
/// tests; `Err` describes what is wrong.
fn format_and_verify(files: &mut [(String, String)]) -> Result<(), String> {
    let mut sources = SourceMap::new();
    for (file, text) in files.iter_mut() {
        if !file.ends_with(".vital") {
            continue;
        }
        let id = sources.add(SourceFile::new(file.clone(), text.clone()));
        match vital_syntax::format::format_source(id, text) {
            Ok(f) => *text = f,
            Err(diags) => {
                let shown: Vec<String> = diags
                    .iter()
                    .map(|d| vital_syntax::Report::new(d, &sources).render(false))
                    .collect();
                return Err(format!(
                    "the generated `{file}` does not parse:\n{}",
                    shown.join("")
                ));
            }
        }
    }
    let mut sources = SourceMap::new();
    for (file, text) in files.iter() {
        if file.ends_with(".vital") {
            sources.add(SourceFile::new(file.clone(), text.clone()));
        }
    }
    let checked = vital_check::check(&sources);
    let problems: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| vital_syntax::Report::new(d, &sources).render(false))
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "the generated rules are not clean:\n{}",
            problems.join("")
        ));
    }
    let Some(rules) = checked.valid() else {
        return Err("the generated rules do not check".into());
    };
    let engine = vital_eval::Engine::new(rules);
    for t in &rules.tests {
        let r = vital_eval::testing::run_test(&engine, t);
        if !r.passed() {
            return Err(format!("the generated test \"{}\" fails", r.name));
        }
    }
    Ok(())
}

/// Add `.vital/` to `DIR/.gitignore`, creating it, unless a line already
/// ignores it. What was done, for the summary.
fn gitignore(dir: &Path) -> std::io::Result<Option<String>> {
    let path = dir.join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    match current {
        None => {
            std::fs::write(&path, format!("{IGNORE}\n"))?;
            Ok(Some(format!("created, ignoring {IGNORE} (local data)")))
        }
        Some(text) => {
            let ignored = text
                .lines()
                .map(str::trim)
                .any(|l| matches!(l, ".vital" | ".vital/" | "/.vital" | "/.vital/"));
            if ignored {
                return Ok(None);
            }
            let mut f = std::fs::OpenOptions::new().append(true).open(&path)?;
            let sep = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            f.write_all(format!("{sep}{IGNORE}\n").as_bytes())?;
            Ok(Some(format!("{IGNORE} added (local data)")))
        }
    }
}

/// An absolute path with symbolic links resolved as far as it exists, and
/// `.`/`..` removed from the rest.
fn resolve(p: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(p)?;
    let mut existing = abs.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(n), Some(parent)) => {
                rest.push(n.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for part in rest.iter().rev() {
        match part.to_str() {
            Some(".") => {}
            Some("..") => {
                out.pop();
            }
            _ => out.push(part),
        }
    }
    Ok(out)
}

/// `path` relative to the directory `base` (both absolute), with `/`.
fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // nothing in common but the root: the absolute path says more
    let only_root = p[..common]
        .iter()
        .all(|c| matches!(c, Component::RootDir | Component::Prefix(_)));
    if only_root {
        return path.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = Vec::new();
    for _ in common..b.len() {
        parts.push("..".into());
    }
    for c in &p[common..] {
        parts.push(c.as_os_str().to_string_lossy().into_owned());
    }
    parts.join("/")
}
