//! What a command acts on, from its arguments and the project file
//! (docs/project.md): arguments win, `vital.toml` supplies the defaults and
//! the reading settings and gates of its rule sets.

use super::{fail, load_rules, stderr_color, Loaded};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vital_project::Project;

/// Print a project-file error (with its place in `vital.toml`).
pub fn report(e: &vital_project::ProjectError) -> ExitCode {
    let color = stderr_color();
    for d in &e.diagnostics {
        eprint!("{}", vital_syntax::Report::new(d, &e.sources).render(color));
    }
    eprintln!("error: the project file is not valid; nothing was done");
    ExitCode::from(1)
}

/// Several errors at places of `vital.toml` (a column mapping that does not
/// fit the rules), as one report: each with its place, then the one
/// closing line.
pub fn report_at(
    project: &Project,
    errors: impl IntoIterator<Item = (std::ops::Range<usize>, String)>,
) -> ExitCode {
    let mut all: Option<vital_project::ProjectError> = None;
    for (span, message) in errors {
        let one = project.error_at(span, message);
        match &mut all {
            None => all = Some(one),
            Some(a) => a.diagnostics.extend(one.diagnostics),
        }
    }
    all.map_or(ExitCode::from(1), |e| report(&e))
}

/// The project governing the current directory, if any. Read once per
/// process: every command part that asks (rule sets, inputs, the history
/// store, summaries) gets the same project without reading the file again.
pub fn discover() -> Result<Option<Project>, ExitCode> {
    discover_or_error().map_err(|e| report(&e))
}

/// [`discover`], leaving the error to the caller (`vital check` reports it
/// in the format asked for).
pub fn discover_or_error() -> Result<Option<Project>, vital_project::ProjectError> {
    static FOUND: std::sync::OnceLock<Option<Project>> = std::sync::OnceLock::new();
    if let Some(p) = FOUND.get() {
        return Ok(p.clone());
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let found = vital_project::discover(&cwd)?;
    Ok(FOUND.get_or_init(|| found).clone())
}

/// `path` relative to the current directory when it is below it (for
/// messages: `data/export.jsonl`, not an absolute path).
pub fn shown(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|c| std::fs::canonicalize(c).ok());
    match cwd.and_then(|c| path.strip_prefix(&c).ok().map(Path::to_path_buf)) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel,
        None => path.to_path_buf(),
    }
}

/// The rule set of a project a command means: the one named by
/// `--ruleset`, the one at `--rules` (same directory), or the only one
/// (or, for `vital run` with no files, the only one with `inputs`).
pub fn pick<'p>(
    project: &'p Project,
    name: Option<&str>,
    rules: Option<&Path>,
    want_inputs: bool,
) -> Result<Option<&'p vital_project::RuleSet>, ExitCode> {
    if let Some(n) = name {
        return match project.ruleset(n) {
            Some(r) => Ok(Some(r)),
            None => Err(fail(format!(
                "no rule set `{n}` in {} (it has {})",
                shown(&project.file).display(),
                names(project)
            ))),
        };
    }
    if let Some(path) = rules {
        let want = std::fs::canonicalize(path).ok();
        return Ok(project
            .rulesets
            .iter()
            .find(|r| want.is_some() && std::fs::canonicalize(&r.path).ok() == want));
    }
    let candidates: Vec<&vital_project::RuleSet> = project
        .rulesets
        .iter()
        .filter(|r| !want_inputs || !r.inputs.is_empty())
        .collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => Err(fail(format!(
            "{} has several rule sets ({}); pick one with `--ruleset NAME`",
            shown(&project.file).display(),
            names(project)
        ))),
    }
}

fn names(project: &Project) -> String {
    if project.rulesets.is_empty() {
        return "none".into();
    }
    project
        .rulesets
        .iter()
        .map(|r| format!("`{}`", r.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rule set and the snapshot inputs of a command that scores (`run`,
/// `explain`), with the project's reading settings and gates for it.
pub struct Scoring {
    pub loaded: Loaded,
    pub inputs: Vec<vital_input::Input>,
    pub mapping: vital_eval::Mapping,
    pub gates: vital_project::Gates,
    /// What reports need from the project file.
    pub settings: Settings,
}

/// The project file's settings for reports (`vital summary`, `vital
/// report`): its name, the rule set's `value` and `at_risk`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub title: Option<String>,
    pub value: Option<String>,
    pub at_risk: Option<Vec<String>>,
}

impl Settings {
    pub fn of(project: Option<&Project>, rs: Option<&vital_project::RuleSet>) -> Settings {
        Settings {
            title: project.and_then(|p| p.name.clone()),
            value: rs.and_then(|r| r.value.as_ref().map(|v| v.value.clone())),
            at_risk: rs.and_then(|r| {
                r.at_risk
                    .as_ref()
                    .map(|l| l.iter().map(|v| v.value.clone()).collect())
            }),
        }
    }
}

/// Where a rule set of vital.toml is, to load it: a `path` that is not
/// there is a project-file error shown at its line, rather than "cannot
/// read `rule`" with no word of where the name came from.
pub fn ruleset_path(project: &Project, rs: &vital_project::RuleSet) -> Result<PathBuf, ExitCode> {
    match project.missing_path(rs) {
        Some(e) => Err(report(&e)),
        None => Ok(shown(&rs.path)),
    }
}

/// Resolve and load what `run`/`explain` score; problems are reported and
/// the exit status given.
pub fn load_scoring(
    rules: Option<&Path>,
    files: &[PathBuf],
    ruleset: Option<&str>,
) -> Result<Scoring, ExitCode> {
    let project = discover()?;
    let chosen = match &project {
        Some(p) => pick(p, ruleset, rules, files.is_empty())?,
        None if ruleset.is_some() => return Err(fail(
            "`--ruleset` names a rule set of vital.toml, and there is no vital.toml here or above",
        )),
        None => None,
    };
    let rules_path = match (rules, chosen, &project) {
        (Some(r), _, _) => r.to_path_buf(),
        (None, Some(rs), Some(p)) => ruleset_path(p, rs)?,
        (None, _, _) => PathBuf::from("."),
    };
    let files: Vec<PathBuf> = if !files.is_empty() {
        files.to_vec()
    } else {
        match chosen {
            Some(rs) if !rs.inputs.is_empty() => rs
                .input_files()
                .map_err(|e| fail(format!("{e} (`inputs` of [rulesets.{}])", rs.name)))?
                .iter()
                .map(|p| shown(p))
                .collect(),
            _ => {
                // a usage error, as a missing argument is
                fail(
                    "no snapshots to read: name snapshot files (`vital run export.jsonl`), or set `inputs` of a rule set in vital.toml",
                );
                return Err(ExitCode::from(2));
            }
        }
    };
    let loaded = load_rules(&rules_path)?;
    let (mapping, gates) = match (chosen, &project, loaded.ruleset()) {
        (Some(rs), Some(p), Some(ruleset)) => {
            let mapping = vital_input::mapping_for(rs, ruleset)
                .map_err(|errors| report_at(p, errors.into_iter().map(|e| (e.span, e.message))))?;
            (mapping, rs.gates.clone())
        }
        _ => (
            vital_eval::Mapping::default(),
            vital_project::Gates::default(),
        ),
    };
    let inputs = vital_input::Input::open_all(&files).map_err(fail)?;
    Ok(Scoring {
        loaded,
        inputs,
        mapping,
        gates,
        settings: Settings::of(project.as_ref(), chosen),
    })
}

/// One rule set a command acts on.
pub struct Target {
    /// Shown above its report when there are several.
    pub label: Option<String>,
    pub paths: Vec<PathBuf>,
}

/// What `check`, `test` and `fmt` act on: the paths given (one rule set,
/// unless one directory turns out to hold several complete rule sets);
/// with no path, the project's rule sets (or the one `--ruleset` names);
/// without a project, `.`. The second value is a finding to print first.
pub fn targets(
    paths: Vec<PathBuf>,
    ruleset: Option<&str>,
) -> Result<(Vec<Target>, Option<String>), ExitCode> {
    if paths.is_empty() {
        if let Some(p) = discover()? {
            let chosen: Vec<&vital_project::RuleSet> = match ruleset {
                Some(n) => match pick(&p, Some(n), None, false)? {
                    Some(r) => vec![r],
                    None => Vec::new(),
                },
                None => p.rulesets.iter().collect(),
            };
            if !chosen.is_empty() {
                for r in &chosen {
                    ruleset_path(&p, r)?;
                }
                let several = chosen.len() > 1;
                return Ok((
                    chosen
                        .into_iter()
                        .map(|r| Target {
                            label: several.then(|| {
                                format!("rule set `{}` ({})", r.name, shown(&r.path).display())
                            }),
                            paths: vec![shown(&r.path)],
                        })
                        .collect(),
                    None,
                ));
            }
        } else if ruleset.is_some() {
            return Err(fail(
                "`--ruleset` names a rule set of vital.toml, and there is no vital.toml here or above",
            ));
        }
    } else {
        // paths given: the project file still governs the command (its
        // settings, and any error in it stops it, docs/project.md)
        discover()?;
    }
    let paths = super::default_paths(paths);
    if let [one] = paths.as_slice() {
        if let Some(sets) = several_rule_sets(one) {
            let list: Vec<String> = sets.iter().map(|s| vital_check::load::display(s)).collect();
            let finding = format!(
                "note: `{}` holds {} rule sets, each with its own status block ({}); they are taken one by one. Name one (`vital check {}`), or list them in vital.toml as [rulesets.NAME] tables.",
                vital_check::load::display(one),
                sets.len(),
                list.join(", "),
                list[0]
            );
            return Ok((
                sets.into_iter()
                    .zip(list)
                    .map(|(path, shown)| Target {
                        label: Some(format!("rule set {shown}")),
                        paths: vec![path],
                    })
                    .collect(),
                Some(finding),
            ));
        }
    }
    Ok((vec![Target { label: None, paths }], None))
}

/// The directories below `dir` that each hold a status block, when there
/// are two or more and none is inside another: separate rule sets that a
/// single check would merge into a wall of duplicate declarations.
fn several_rule_sets(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() {
        return None;
    }
    let files = vital_check::load::collect(&[dir.to_path_buf()]).ok()?;
    let mut roots: Vec<PathBuf> = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let has_status = text.lines().any(|l| {
            l.trim_start()
                .strip_prefix("status")
                .is_some_and(|rest| rest.trim_start().starts_with('{'))
        });
        if has_status {
            if let Some(parent) = f.parent() {
                if !roots.iter().any(|r| r == parent) {
                    roots.push(parent.to_path_buf());
                }
            }
        }
    }
    let nested = roots
        .iter()
        .any(|a| roots.iter().any(|b| a != b && a.starts_with(b)));
    (roots.len() >= 2 && !nested && roots.iter().all(|r| r != dir)).then_some(roots)
}
