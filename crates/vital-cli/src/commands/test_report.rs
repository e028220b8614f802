//! `vital test --format junit|json`: the same tests as the human report,
//! written for CI systems. JUnit XML follows the common schema CI systems
//! render (tests/junit/junit.xsd: `testsuites` > `testsuite` per rule set >
//! `testcase` per test, `failure` per failing test, `error` for a rule set
//! that does not load); JSON is documented in docs/language.md §10.

use super::project::Target;
use super::{stderr_color, try_load_rules, NotLoaded};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Junit,
    Json,
}

/// One test's verdict.
struct Case {
    name: String,
    file: String,
    line: usize,
    seconds: f64,
    /// Each failing expectation: (what, where, the values).
    failures: Vec<(String, String, String)>,
    /// The failure report as the human format prints it.
    details: String,
}

/// One rule set's tests.
struct Suite {
    name: String,
    path: String,
    seconds: f64,
    /// The rule set did not load, or the filter matched nothing.
    error: Option<String>,
    /// Why it did not load (the report carries its errors).
    not_loaded: Option<NotLoaded>,
    cases: Vec<Case>,
}

fn run_suite(t: &Target, filter: Option<&str>, exact: bool) -> Suite {
    let path = t
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let shown = vital_check::load::display(&path);
    let mut suite = Suite {
        name: t.label.clone().unwrap_or_else(|| shown.clone()),
        path: shown.clone(),
        seconds: 0.0,
        error: None,
        not_loaded: None,
        cases: Vec::new(),
    };
    let start = Instant::now();
    // the diagnostics go to standard error, as in the human format, and
    // into the report's error (what a CI page shows of a failed suite)
    let loaded = match try_load_rules(&path, "tested") {
        Ok(l) => l,
        Err(e) => {
            eprint!("{}", e.render(stderr_color()));
            suite.error = Some(format!("the rules in `{shown}` do not check"));
            suite.not_loaded = Some(e);
            return suite;
        }
    };
    let Some(ruleset) = loaded.checked.valid() else {
        suite.error = Some(format!("the rules in `{shown}` do not check"));
        return suite;
    };
    let sources = &loaded.sources;
    let engine = vital_eval::Engine::new(ruleset);
    let wanted = |name: &str| match (filter, exact) {
        (None, _) => true,
        (Some(f), false) => name.contains(f),
        (Some(f), true) => name == f,
    };
    let tests: Vec<&vital_check::ir::Test> =
        ruleset.tests.iter().filter(|t| wanted(&t.name)).collect();
    if tests.is_empty() && !ruleset.tests.is_empty() {
        suite.error = Some(format!(
            "no test {} `{}` (the rule set has {} tests)",
            if exact { "is named" } else { "matches" },
            filter.unwrap_or(""),
            ruleset.tests.len()
        ));
        return suite;
    }
    for test in tests {
        let t0 = Instant::now();
        let r = vital_eval::testing::run_test(&engine, test);
        let seconds = t0.elapsed().as_secs_f64();
        let file = sources.file(r.loc.file);
        let line = file.line_col(r.loc.span.start).line;
        let mut failures = Vec::new();
        let mut details = String::new();
        for f in &r.failures {
            let text = &file_text(sources, f.loc);
            let at = vital_eval::results::locate(sources, f.loc);
            let _ = writeln!(details, "{text}  at {at}\n  {}", f.actual);
            failures.push((text.clone(), at, f.actual.clone()));
        }
        if !r.passed() {
            for i in super::test::failing_scores(ruleset, &r) {
                details.push('\n');
                details.push_str(&vital_eval::explain::waterfall(
                    &engine, sources, &r.outcome, i,
                ));
            }
        }
        suite.cases.push(Case {
            name: r.name.clone(),
            file: file.path.clone(),
            line,
            seconds,
            failures,
            details,
        });
    }
    suite.seconds = start.elapsed().as_secs_f64();
    suite
}

/// An expectation's text on one line.
fn file_text(sources: &vital_syntax::SourceMap, loc: vital_check::ir::Loc) -> String {
    let file = sources.file(loc.file);
    let s = loc.span.start.min(file.text.len());
    let e = loc.span.end.min(file.text.len()).max(s);
    file.text
        .get(s..e)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run every target's tests and write them as JUnit XML or JSON on
/// standard output; exit 1 when a test fails or a rule set does not load.
pub fn run(targets: &[Target], filter: Option<&str>, exact: bool, format: Format) -> ExitCode {
    let suites: Vec<Suite> = targets
        .iter()
        .map(|t| run_suite(t, filter, exact))
        .collect();
    let text = match format {
        Format::Junit => junit(&suites),
        _ => json(&suites),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    let bad = suites
        .iter()
        .any(|s| s.error.is_some() || s.cases.iter().any(|c| !c.failures.is_empty()));
    if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Text for an XML attribute value: as [`xml`], and line breaks and tabs
/// as character references (a parser turns a literal one into a space).
fn attr(s: &str) -> String {
    xml(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// Text for XML content (and, through [`attr`], attribute values).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            // characters XML 1.0 cannot hold at all
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

fn junit(suites: &[Suite]) -> String {
    let count = |f: &dyn Fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let tests = count(&|s| s.cases.len() + usize::from(s.error.is_some()));
    let failures = count(&|s| s.cases.iter().filter(|c| !c.failures.is_empty()).count());
    let errors = count(&|s| usize::from(s.error.is_some()));
    let seconds: f64 = suites.iter().map(|s| s.seconds).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"vital test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">"
    );
    for s in suites {
        let failed = s.cases.iter().filter(|c| !c.failures.is_empty()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{}\" skipped=\"0\" time=\"{:.3}\">",
            attr(&s.name),
            s.cases.len() + usize::from(s.error.is_some()),
            usize::from(s.error.is_some()),
            s.seconds
        );
        if let Some(e) = &s.error {
            let _ = writeln!(
                out,
                "    <testcase name=\"(rule set)\" classname=\"{}\" time=\"0.000\">\n      <error message=\"{}\" type=\"load\">{}</error>\n    </testcase>",
                attr(&s.path),
                attr(e),
                // its errors as the human format renders them
                xml(&s.not_loaded.as_ref().map(|n| n.render(false)).unwrap_or_default())
            );
        }
        for c in &s.cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                attr(&c.name),
                attr(&s.path),
                attr(&c.file),
                c.line,
                c.seconds
            );
            if c.failures.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            let (what, at, actual) = &c.failures[0];
            let more = if c.failures.len() > 1 {
                format!(" (and {} more)", c.failures.len() - 1)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"expect\">{}</failure>\n    </testcase>",
                attr(&format!("{what} at {at}: {actual}{more}")),
                xml(&c.details)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn json(suites: &[Suite]) -> String {
    let passed: usize = suites
        .iter()
        .map(|s| s.cases.iter().filter(|c| c.failures.is_empty()).count())
        .sum();
    let failed: usize = suites
        .iter()
        .map(|s| s.cases.iter().filter(|c| !c.failures.is_empty()).count())
        .sum();
    let suites: Vec<serde_json::Value> = suites
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "path": s.path,
                "error": s.error,
                // as `vital check --format json` gives them
                "diagnostics": s.not_loaded.iter()
                    .flat_map(|n| n.errors.iter().map(|d| crate::report::to_json(&n.sources, d)))
                    .collect::<Vec<_>>(),
                "tests": s.cases.iter().map(|c| serde_json::json!({
                    "name": c.name,
                    "file": c.file,
                    "line": c.line,
                    "passed": c.failures.is_empty(),
                    "failures": c.failures.iter().map(|(what, at, actual)| serde_json::json!({
                        "expect": what, "at": at, "actual": actual,
                    })).collect::<Vec<_>>(),
                    "seconds": c.seconds,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({
        "version": 1,
        "passed": passed,
        "failed": failed,
        "suites": suites,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}
