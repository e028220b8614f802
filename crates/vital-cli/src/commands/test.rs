//! `vital test`: run the `test` blocks of a rule set, report like cargo,
//! end with `N passed, M failed`.

use super::{load_rules_for, stdout_color};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use vital_check::ir::ScoreId;
use vital_eval::testing::TestResult;

#[derive(clap::Args)]
pub struct Args {
    /// The rule set (a directory or files; default: the project's rule
    /// sets, else `.`).
    path: Option<PathBuf>,
    /// Only tests whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// With `--filter`: only the test named exactly so.
    #[arg(long, requires = "filter")]
    exact: bool,
    /// Only this rule set of vital.toml.
    #[arg(long, value_name = "NAME")]
    ruleset: Option<String>,
    /// Output format: `junit` (JUnit XML) and `json` are for CI.
    #[arg(long, value_enum, default_value = "human")]
    format: super::test_report::Format,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// What one rule set's tests came to.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// The rule set did not load, or the filter matched nothing.
    error: bool,
}

pub fn run(args: Args) -> ExitCode {
    let (targets, finding) =
        match super::project::targets(args.path.iter().cloned().collect(), args.ruleset.as_deref())
        {
            Ok(t) => t,
            Err(code) => return code,
        };
    if let Some(f) = finding {
        eprintln!("{f}");
    }
    if args.format != super::test_report::Format::Human {
        let filter = args.filter.as_deref();
        return super::test_report::run(&targets, filter, args.exact, args.format);
    }
    let mut total = Tally::default();
    let several = targets.len() > 1;
    for t in &targets {
        if let Some(label) = &t.label {
            super::print_out(&format!("{label}\n"));
        }
        let path = t
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        let one = run_one(&path, &args);
        total.passed += one.passed;
        total.failed += one.failed;
        total.error |= one.error;
        if several {
            super::print_out("\n");
        }
    }
    let ok = total.failed == 0 && !total.error;
    // rules that could not be loaded ran no test: "0 passed, 0 failed"
    // would read as a pass; the errors above say what happened
    if !(total.error && total.passed + total.failed == 0) {
        let summary = format!("{} passed, {} failed", total.passed, total.failed);
        super::print_out(&format!("{}\n", paint(stdout_color(), ok, &summary)));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn paint(color: bool, ok: bool, text: &str) -> String {
    if !color {
        text.to_string()
    } else if ok {
        format!("{GREEN}{text}{RESET}")
    } else {
        format!("{RED}{text}{RESET}")
    }
}

/// Run one rule set's tests and print their report (without the closing
/// count, which the caller prints for all rule sets).
fn run_one(path: &std::path::Path, args: &Args) -> Tally {
    let failed_load = Tally {
        error: true,
        ..Tally::default()
    };
    let Ok(loaded) = load_rules_for(path, "tested") else {
        return failed_load;
    };
    let Some(ruleset) = loaded.checked.valid() else {
        return failed_load;
    };
    let sources = &loaded.sources;
    let engine = vital_eval::Engine::new(ruleset);
    let wanted = |name: &str| match (&args.filter, args.exact) {
        (None, _) => true,
        (Some(f), false) => name.contains(f.as_str()),
        (Some(f), true) => name == f,
    };
    let tests: Vec<&vital_check::ir::Test> =
        ruleset.tests.iter().filter(|t| wanted(&t.name)).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // without a filter, no tests is not a failure; a filter that matches
    // nothing is, tests or not (docs/language.md §10)
    if ruleset.tests.is_empty() && args.filter.is_none() {
        let _ = writeln!(
            out,
            "the rule set in `{}` has no tests (write `test \"…\" {{ … }}` blocks next to the rules)",
            vital_check::load::display(path)
        );
        return Tally::default();
    }
    if tests.is_empty() {
        let filter = args.filter.as_deref().unwrap_or("");
        eprintln!(
            "error: no test {} `{filter}` (the rule set has {} test{})",
            if args.exact { "is named" } else { "matches" },
            ruleset.tests.len(),
            if ruleset.tests.len() == 1 { "" } else { "s" }
        );
        return failed_load;
    }
    let results: Vec<TestResult> = {
        use rayon::prelude::*;
        tests
            .par_iter()
            .map(|t| vital_eval::testing::run_test(&engine, t))
            .collect()
    };
    let color = stdout_color();
    let paint = |ok: bool, text: &str| paint(color, ok, text);
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
            if r.passed() {
                paint(true, "ok")
            } else {
                paint(false, "FAILED")
            }
        );
    }
    let failed: Vec<&TestResult> = results.iter().filter(|r| !r.passed()).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nfailures:");
        for r in &failed {
            let _ = writeln!(
                out,
                "\n---- {} ({}) ----",
                r.name,
                vital_eval::results::locate(sources, r.loc)
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
                    vital_eval::results::locate(sources, f.loc)
                );
                let _ = writeln!(out, "    {}", f.actual);
            }
            for i in failing_scores(ruleset, r) {
                let _ = writeln!(out);
                for line in vital_eval::explain::waterfall(&engine, sources, &r.outcome, i).lines()
                {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        let _ = writeln!(out);
    }
    Tally {
        passed: results.len() - failed.len(),
        failed: failed.len(),
        error: false,
    }
}

/// The scores a failing test's expectations read (every score when one
/// reads health or status).
pub(super) fn failing_scores(rules: &vital_check::RuleSet, r: &TestResult) -> Vec<ScoreId> {
    use vital_check::ir::{Expectation, ExprKind, Target};
    let mut out: Vec<ScoreId> = Vec::new();
    let mut all = false;
    let walk = |e: &vital_check::ir::Expr, out: &mut Vec<ScoreId>, all: &mut bool| {
        e.walk(&mut |e| match &e.kind {
            ExprKind::Score(s)
            | ExprKind::Previous(Target::Score(s), _)
            | ExprKind::Change(Target::Score(s), _)
                if !out.contains(s) =>
            {
                out.push(*s)
            }
            ExprKind::Health
            | ExprKind::Status
            | ExprKind::Previous(Target::Health, _)
            | ExprKind::Change(Target::Health, _) => *all = true,
            _ => {}
        })
    };
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
            } else if let Expectation::Triggered { loc, .. } | Expectation::Started { loc, .. } = ex
            {
                if failing.contains(loc) {
                    all = true;
                }
            }
        }
    }
    if all {
        (0..rules.scores.len()).map(ScoreId::new).collect()
    } else {
        out
    }
}
