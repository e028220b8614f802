//! `vital diff --base REF_OR_DIR [--head DIR] [SNAPSHOTS...]`: what a rule
//! change does to the book before it merges (docs/diff.md). This file finds
//! and loads both rule sets (a directory, or a git revision read with `git`
//! without touching the working tree), reads the snapshots with
//! `vital_input` — once when both sides read records the same way, else once
//! per side — and evaluates every account under both; `vital_diff` matches,
//! counts and renders.

use super::project::{discover, pick, shown};
use super::run::history::StoredHistory;
use super::{fail, stderr_color, stdout_color};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use vital_diff::compare::{self, Pending, Plan, SideDef, Tally, BASE, HEAD};
use vital_diff::{model, render, Threshold};
use vital_eval::{Engine, Schema, Snapshot};
use vital_input::{Input, Reader, Select};
use vital_syntax::{Diagnostic, SourceMap};

#[derive(clap::Args)]
pub struct Args {
    /// The rule set before the change: a directory, or a git revision
    /// (`origin/main`, a commit) read at the same path as `--head`.
    #[arg(long, value_name = "REF_OR_DIR")]
    base: String,
    /// The rule set after the change (default: the project's, else `.`).
    #[arg(long, value_name = "DIR")]
    head: Option<PathBuf>,
    /// A rule set of vital.toml, by name.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Snapshot files (default: the project's `inputs`).
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 1 when a threshold is crossed (repeatable):
    /// `status-changes>5%`, `into-danger>100k`, `health-shift>2`,
    /// `failing-tests>0`.
    #[arg(long, value_name = "METRIC>LIMIT")]
    fail_on: Vec<Threshold>,
    /// How many accounts the human report lists per section.
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
    /// The history store `previous`/`change` read on both sides, as
    /// `vital run`'s: a SQLite file or a postgres:// URL (default:
    /// `[history] store` of vital.toml).
    #[arg(long, value_name = "PATH|URL")]
    history: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Markdown,
    Json,
}

/// One side's rules, loaded and checked.
struct Loaded {
    label: String,
    sources: SourceMap,
    checked: vital_check::Checked,
    io: Vec<Diagnostic>,
}

impl Loaded {
    fn errors(&self) -> Vec<&Diagnostic> {
        self.io
            .iter()
            .chain(self.checked.diagnostics.iter().filter(|d| d.is_error()))
            .collect()
    }
}

pub fn run(args: Args) -> ExitCode {
    let project = match discover() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let chosen = match &project {
        Some(p) => match pick(
            p,
            args.ruleset.as_deref(),
            args.head.as_deref(),
            args.files.is_empty(),
        ) {
            Ok(None) if args.head.is_some() && args.ruleset.is_none() => head_settings(p, &args),
            Ok(c) => c,
            Err(code) => return code,
        },
        None if args.ruleset.is_some() => return fail(
            "`--ruleset` names a rule set of vital.toml, and there is no vital.toml here or above",
        ),
        None => None,
    };
    let head_path = match (&args.head, chosen, &project) {
        (Some(h), _, _) => h.clone(),
        (None, Some(rs), Some(p)) => match super::project::ruleset_path(p, rs) {
            Ok(path) => path,
            Err(code) => return code,
        },
        (None, _, _) => PathBuf::from("."),
    };
    let head = match load_dir(&head_path) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    // a git revision is read at the rule set's path: `--head`'s, or, for a
    // `--head` copy outside the project's rule set, that rule set's (the
    // copy is not in the revision)
    let at_rev: PathBuf = match (chosen, &project, &args.head) {
        (Some(rs), Some(p), Some(h)) => match super::project::ruleset_path(p, rs) {
            Ok(path) if std::fs::canonicalize(&path).ok() != std::fs::canonicalize(h).ok() => path,
            _ => head_path.clone(),
        },
        _ => head_path.clone(),
    };
    let base = if Path::new(&args.base).is_dir() {
        load_dir(Path::new(&args.base))
    } else {
        load_git(&args.base, &at_rev)
    };
    let base = match base {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    if !base.errors().is_empty() || !head.errors().is_empty() {
        return side_errors(&args, &base, &head);
    }
    let (Some(b_rules), Some(h_rules)) = (base.checked.valid(), head.checked.valid()) else {
        return ExitCode::from(1);
    };
    // what to read, and how
    let files: Vec<PathBuf> = if !args.files.is_empty() {
        args.files.clone()
    } else {
        match chosen {
            Some(rs) if !rs.inputs.is_empty() => match rs.input_files() {
                Ok(f) => f.iter().map(|p| shown(p)).collect(),
                Err(e) => return fail(format!("{e} (`inputs` of [rulesets.{}])", rs.name)),
            },
            _ => {
                fail("no snapshots to read: name snapshot files (`vital diff --base main export.jsonl`), or set `inputs` of a rule set in vital.toml");
                return ExitCode::from(2);
            }
        }
    };
    let mapping =
        |rules: &vital_check::RuleSet, side: &str| -> Result<vital_eval::Mapping, ExitCode> {
            match (chosen, &project) {
                (Some(rs), Some(p)) => vital_input::mapping_for(rs, rules).map_err(|errors| {
                    eprintln!("error: vital.toml does not fit the {side} rule set:");
                    super::project::report_at(p, errors.into_iter().map(|e| (e.span, e.message)))
                }),
                _ => Ok(vital_eval::Mapping::default()),
            }
        };
    let h_mapping = match mapping(h_rules, "head") {
        Ok(m) => m,
        Err(code) => return code,
    };
    let shared = vital_diff::schema::same_inputs(b_rules, h_rules);
    let b_mapping = if shared {
        h_mapping.clone()
    } else {
        match mapping(b_rules, "base") {
            Ok(m) => m,
            Err(code) => return code,
        }
    };
    let value_name = chosen
        .and_then(|rs| rs.value.as_ref())
        .map(|v| v.value.clone());
    let value_of = |rules: &vital_check::RuleSet| {
        let name = value_name.as_deref()?;
        rules
            .signals
            .iter()
            .position(|s| s.name == name && s.ty == vital_check::Type::Money)
            .map(vital_check::ir::SignalId::new)
    };
    let at_risk: Vec<String> = chosen
        .and_then(|rs| rs.at_risk.as_ref())
        .map(|v| v.iter().map(|a| a.value.clone()).collect())
        .unwrap_or_default();
    // the diff needs which rules fired, not what they read
    let b_engine = Engine::new(b_rules).without_traces();
    let h_engine = Engine::new(h_rules).without_traces();
    let b_def = SideDef {
        engine: &b_engine,
        sources: &base.sources,
        value: value_of(b_rules),
    };
    let h_def = SideDef {
        engine: &h_engine,
        sources: &head.sources,
        value: value_of(h_rules),
    };
    let plan = Plan::new(&b_def, &h_def, &at_risk);
    let open = || Input::open_all(&files).map_err(|e| e.to_string());
    // the stored history both sides' `previous`/`change` read, as the
    // nightly run's do (one store; each side reads stored snapshots as it
    // reads records)
    let stored = StoredHistory::open(args.history.as_deref(), &[b_rules, h_rules]);
    let read = if shared {
        stored.and_then(|history| {
            read_shared(&plan, &b_engine, &h_engine, &h_mapping, open()?, history)
        })
    } else {
        if files.iter().any(|f| f.as_os_str() == "-") {
            return fail("the two rule sets read records differently, so each reads the input: name a file instead of `-`");
        }
        (|| {
            read_each(
                &plan,
                [&b_engine, &h_engine],
                [&b_mapping, &h_mapping],
                [open()?, open()?],
                stored?,
            )
        })()
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for w in &read.warnings {
        eprintln!("{w}");
    }
    let cx = compare::Context {
        base: side_info(&base, b_rules),
        head: side_info(&head, h_rules),
        value_signal: value_name.filter(|_| h_def.value.is_some() || b_def.value.is_some()),
        records: model::Records {
            inputs: files
                .iter()
                .map(|f| vital_check::load::display(f))
                .collect(),
            read: read.records,
            shared,
            base_rejected: read.rejected[BASE],
            head_rejected: read.rejected[HEAD],
            head_rejections: read.reasons,
        },
        schema: vital_diff::schema::diff(b_rules, &base.sources, h_rules, &head.sources),
        tests: compare::tests(&b_engine, &h_engine),
    };
    let report = compare::finish(&plan, read.tally, cx);
    let mut failures = Vec::new();
    // a diff over no account says nothing about the change: never a pass
    // (a renamed column or an empty export would otherwise get through
    // every `--fail-on` gate)
    if report.accounts.compared == 0 {
        failures.push(match (read.records, read.rejected) {
            (0, _) => "no account was compared: the input holds no records".to_string(),
            (n, [b, h]) => format!(
                "no account was compared: of {} record{}, base rejected {} and head {}",
                vital_input::thousands(n),
                if n == 1 { "" } else { "s" },
                vital_input::thousands(b),
                vital_input::thousands(h)
            ),
        });
    }
    for t in &args.fail_on {
        match t.crossed(&report) {
            Ok(Some(reason)) => failures.push(reason),
            Ok(None) => {}
            Err(e) => return fail(e),
        }
    }
    let text = match args.format {
        Format::Human => render::human(&report, &failures, stdout_color(), args.limit),
        Format::Markdown => render::markdown(&report, &failures),
        Format::Json => {
            let mut v = serde_json::to_value(&report).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("failures".into(), serde_json::json!(failures));
            }
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(format!("cannot write the report: {e}"));
        }
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("error: {f}");
        }
        ExitCode::from(1)
    }
}

/// `--head DIR`, a folder that is none of vital.toml's rule sets (a copy
/// to try a change in): the settings of the project's one rule set
/// (`inputs`, `columns`, `value`, `at_risk`) apply to it, as they would
/// once the change is made there; with several, none (`--ruleset NAME`
/// picks one). Said on stderr either way (docs/diff.md).
fn head_settings<'p>(
    p: &'p vital_project::Project,
    args: &Args,
) -> Option<&'p vital_project::RuleSet> {
    let head = args.head.as_deref().map(shown).unwrap_or_default();
    match p.rulesets.as_slice() {
        [one] => {
            eprintln!(
                "note: `--head {}` is not a rule set of {}; the settings of [rulesets.{}] apply to it (and a git `--base` is read at its path)",
                head.display(),
                shown(&p.file).display(),
                one.name
            );
            Some(one)
        }
        [] => None,
        _ => {
            eprintln!(
                "note: `--head {}` is none of the rule sets of {}, so none of their settings apply; pick one with `--ruleset NAME`",
                head.display(),
                shown(&p.file).display()
            );
            None
        }
    }
}

fn side_info(l: &Loaded, rules: &vital_check::RuleSet) -> model::SideInfo {
    model::SideInfo {
        label: l.label.clone(),
        files: l.sources.len(),
        rules: rules.adjustments.len() + rules.triggers.len(),
    }
}

/// A rule set from a directory (or file), as every command loads one.
fn load_dir(path: &Path) -> Result<Loaded, String> {
    let list = vital_check::load::collect(&[path.to_path_buf()]).map_err(|e| e.to_string())?;
    if list.is_empty() {
        return Err(format!(
            "no .vital files found in {}",
            vital_check::load::display(path)
        ));
    }
    let loaded = vital_check::load::load(&list);
    let checked = vital_check::check(&loaded.sources);
    Ok(Loaded {
        label: vital_check::load::display(path),
        sources: loaded.sources,
        checked,
        io: loaded.diagnostics,
    })
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(out.stdout)
}

/// The rule set at `head`'s path (relative to the repository's root) as
/// it is in revision `rev`, read with `git ls-tree` and `git cat-file`;
/// the working tree is not touched.
fn load_git(rev: &str, head: &Path) -> Result<Loaded, String> {
    let head_dir = if head.is_dir() {
        head.to_path_buf()
    } else {
        head.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let not_rev =
        |why: String| format!("`--base {rev}` is neither a directory nor a git revision ({why})");
    let top = git(&head_dir, &["rev-parse", "--show-toplevel"]).map_err(not_rev)?;
    let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| not_rev("git knows no such revision".into()))?;
    let commit = String::from_utf8_lossy(&commit).trim().to_string();
    let abs = std::fs::canonicalize(head)
        .map_err(|e| format!("cannot read `{}`: {e}", head.display()))?;
    let top_abs = std::fs::canonicalize(&top).map_err(|e| e.to_string())?;
    let rel = abs.strip_prefix(&top_abs).map_err(|_| {
        format!(
            "`{}` is outside the git repository at {}",
            head.display(),
            top.display()
        )
    })?;
    let rel = vital_check::load::display(rel);
    let mut args = vec![
        "ls-tree",
        "-r",
        "-z",
        "--name-only",
        "--full-tree",
        commit.as_str(),
    ];
    if !rel.is_empty() {
        args.push("--");
        args.push(&rel);
    }
    let listed = git(&top, &args)?;
    let mut files: Vec<String> = listed
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| p.ends_with(".vital"))
        .collect();
    // path order, relative to the rule set's root (docs/language.md §1)
    let under = |p: &str| -> String {
        if rel.is_empty() {
            p.to_string()
        } else {
            p.strip_prefix(&rel)
                .unwrap_or(p)
                .trim_start_matches('/')
                .to_string()
        }
    };
    files.sort_by(|a, b| under(a).as_bytes().cmp(under(b).as_bytes()));
    let shown_rel = if rel.is_empty() {
        ".".to_string()
    } else {
        rel.clone()
    };
    if files.is_empty() {
        return Err(format!("no .vital files in `{shown_rel}` at {rev}"));
    }
    let mut texts = std::collections::HashMap::new();
    let mut io = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let bytes = git(&top, &["cat-file", "blob", &format!("{commit}:{f}")])?;
        let text = match vital_check::load::decode(bytes) {
            Ok((t, _)) => t,
            Err(e) => {
                let d = e.diagnostic(vital_syntax::FileId(i as u32), &format!("{rev}:{f}"));
                io.push(d);
                e.lossy
            }
        };
        texts.insert(PathBuf::from(f), text);
    }
    let paths: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
    let loaded = vital_check::load::load_with(
        &paths,
        |p| format!("{rev}:{}", vital_check::load::display(p)),
        |p| texts.remove(p),
    );
    let checked = vital_check::check(&loaded.sources);
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(io);
    Ok(Loaded {
        label: format!("{rev}:{shown_rel}"),
        sources: loaded.sources,
        checked,
        io: diagnostics,
    })
}

/// A side whose rules have errors: its diagnostics, in the format asked
/// for; exit 1.
fn side_errors(args: &Args, base: &Loaded, head: &Loaded) -> ExitCode {
    let sides = [("base", base), ("head", head)];
    match args.format {
        Format::Human => {
            let color = stderr_color();
            for (name, l) in sides {
                let errors = l.errors();
                for d in &errors {
                    eprint!("{}", vital_syntax::Report::new(d, &l.sources).render(color));
                }
                if !errors.is_empty() {
                    eprintln!(
                        "error: the {name} rule set (`{}`) has {} error{}; nothing was compared",
                        l.label,
                        errors.len(),
                        if errors.len() == 1 { "" } else { "s" }
                    );
                }
            }
        }
        Format::Markdown => {
            let mut out = format!(
                "### Vital diff: {} → {}\n\n",
                md_code(&base.label),
                md_code(&head.label)
            );
            for (name, l) in sides {
                let errors = l.errors();
                if errors.is_empty() {
                    continue;
                }
                out.push_str(&format!(
                    "**The {name} rule set has {} error{}; nothing was compared.**\n\n```text\n",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                ));
                for d in &errors {
                    out.push_str(
                        &vital_syntax::Report::new(d, &l.sources)
                            .render(false)
                            .replace("```", "'''"),
                    );
                }
                out.push_str("```\n\n");
            }
            super::print_out(&out);
        }
        Format::Json => {
            let list = |l: &Loaded| -> Vec<serde_json::Value> {
                l.errors()
                    .iter()
                    .map(|d| crate::report::to_json(&l.sources, d))
                    .collect()
            };
            let v = serde_json::json!({
                "version": model::VERSION,
                "base": {"label": base.label},
                "head": {"label": head.label},
                "errors": {"base": list(base), "head": list(head)},
            });
            super::print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        }
    }
    ExitCode::from(1)
}

fn md_code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

/// What reading and evaluating came to.
struct Read {
    tally: Tally,
    records: usize,
    rejected: [usize; 2],
    reasons: Vec<model::Rejections>,
    /// The readers' data-quality warnings (a percent given as a fraction,
    /// a signal missing everywhere, …), as `vital run` prints them.
    warnings: Vec<String>,
}

/// Rejections by kind, the first of each kept as the example.
#[derive(Default)]
struct Reasons {
    by: BTreeMap<String, (usize, String)>,
}

impl Reasons {
    fn add(&mut self, r: &vital_eval::Rejection) {
        let e = self
            .by
            .entry(r.problem.to_string())
            .or_insert_with(|| (0, r.to_string()));
        e.0 += 1;
    }

    fn list(self) -> Vec<model::Rejections> {
        let mut v: Vec<model::Rejections> = self
            .by
            .into_iter()
            .map(|(kind, (count, example))| model::Rejections {
                reason: format!("{kind} (e.g. {example})"),
                count,
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        v
    }
}

/// Both sides read records the same way: parse once, evaluate each
/// account's history under both rule sets.
fn read_shared(
    plan: &Plan,
    base: &Engine<'_>,
    head: &Engine<'_>,
    mapping: &vital_eval::Mapping,
    inputs: Vec<Input>,
    mut history: Option<StoredHistory>,
) -> Result<Read, String> {
    let schema = Schema::with_mapping(head.rules, mapping);
    let mut reader = Reader::new(&schema, inputs, Select::All).map_err(|e| e.to_string())?;
    let mut tally = Tally::new(plan);
    let mut records = 0;
    let mut rejected = 0;
    let mut reasons = Reasons::default();
    while let Some(mut batch) = reader.next_batch().map_err(|e| e.to_string())? {
        if let Some(h) = history.as_mut() {
            h.add(head.rules, &mut batch.groups)?;
        }
        records += batch.records;
        rejected += batch.rejections.len();
        for r in &batch.rejections {
            reasons.add(r);
        }
        let part = batch
            .groups
            .par_iter()
            .fold(
                || Tally::new(plan),
                |mut t, group| {
                    if let Some(i) = compare::latest(group) {
                        let b = base.evaluate_group(group, true);
                        let h = head.evaluate_group(group, true);
                        let bs = plan.side(BASE, &b[i], &group[i]);
                        let hs = plan.side(HEAD, &h[i], &group[i]);
                        t.add(plan, &group[i].account, Some(&bs), Some(&hs));
                    }
                    t
                },
            )
            .reduce(|| Tally::new(plan), Tally::merge);
        tally = tally.merge(part);
    }
    if let Some(h) = &history {
        h.warn(&mut std::io::stderr().lock());
    }
    Ok(Read {
        tally,
        records,
        rejected: [rejected, rejected],
        reasons: reasons.list(),
        warnings: reader.warnings(),
    })
}

/// The sides read records differently: each reads the input under its own
/// schema; accounts are joined by name.
fn read_each(
    plan: &Plan,
    engines: [&Engine<'_>; 2],
    mappings: [&vital_eval::Mapping; 2],
    inputs: [Vec<Input>; 2],
    mut history: Option<StoredHistory>,
) -> Result<Read, String> {
    let [b_inputs, h_inputs] = inputs;
    let summarise = |which: usize, group: &[Snapshot]| {
        compare::latest(group).map(|i| {
            let o = engines[which].evaluate_group(group, true);
            (group[i].account.clone(), plan.side(which, &o[i], &group[i]))
        })
    };
    // base: every account's summary, kept until head's turn
    let b_schema = Schema::with_mapping(engines[BASE].rules, mappings[BASE]);
    let mut reader = Reader::new(&b_schema, b_inputs, Select::All).map_err(|e| e.to_string())?;
    let mut pending = Pending::new();
    let mut b_rejected = 0;
    while let Some(mut batch) = reader.next_batch().map_err(|e| e.to_string())? {
        if let Some(h) = history.as_mut() {
            h.add(engines[BASE].rules, &mut batch.groups)?;
        }
        b_rejected += batch.rejections.len();
        let sides: Vec<_> = batch
            .groups
            .par_iter()
            .filter_map(|g| summarise(BASE, g))
            .collect();
        pending.extend(sides);
    }
    let mut warnings = reader.warnings();
    let h_schema = Schema::with_mapping(engines[HEAD].rules, mappings[HEAD]);
    let mut reader = Reader::new(&h_schema, h_inputs, Select::All).map_err(|e| e.to_string())?;
    let mut tally = Tally::new(plan);
    let mut records = 0;
    let mut h_rejected = 0;
    let mut reasons = Reasons::default();
    while let Some(mut batch) = reader.next_batch().map_err(|e| e.to_string())? {
        if let Some(h) = history.as_mut() {
            h.add(engines[HEAD].rules, &mut batch.groups)?;
        }
        records += batch.records;
        h_rejected += batch.rejections.len();
        for r in &batch.rejections {
            reasons.add(r);
        }
        let sides: Vec<_> = batch
            .groups
            .par_iter()
            .filter_map(|g| summarise(HEAD, g))
            .collect();
        for (account, h) in sides {
            let b = pending.remove(&account);
            tally.add(plan, &account, b.as_ref(), Some(&h));
        }
    }
    // the stored snapshots either side's rules reject
    if let Some(h) = &history {
        h.warn(&mut std::io::stderr().lock());
    }
    let mut rest: Vec<_> = pending.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for (account, b) in rest {
        tally.add(plan, &account, Some(&b), None);
    }
    for w in reader.warnings() {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(Read {
        tally,
        records,
        rejected: [b_rejected, h_rejected],
        reasons: reasons.list(),
        warnings,
    })
}
