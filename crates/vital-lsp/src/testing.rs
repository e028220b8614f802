//! Running one `test` block of a rule set in process (the "run test" lens
//! and the `vital.runTest` command): exactly the test of that name, with
//! `vital_eval::testing`, on the rule set as the editor holds it.

use crate::analysis::Analysis;

/// The verdict on one test, for the lens and for the person who ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    /// One line, verdict first: `test "x" passed`, `test "x" FAILED: …`.
    pub summary: String,
    /// The whole report: every failed expectation with what the rules
    /// computed, or every error that keeps the rule set from running.
    pub details: String,
    /// The analysis the test ran on.
    pub generation: u64,
}

/// Run the test `name` of the rule set. The summary starts with the
/// verdict (`passed: …`, `FAILED: …`), so a toast cut short still shows it.
pub fn run(a: &Analysis, name: &str) -> Verdict {
    let verdict = |passed: bool, summary: String, details: String| Verdict {
        passed,
        summary,
        details,
        generation: a.generation,
    };
    let errors: Vec<String> = a
        .errors()
        .map(|d| {
            let mut line = format!("{}: error: {}", a.locate(d.file, d.span.start), d.message);
            if let Some(h) = &d.help {
                line.push_str(&format!("\n  help: {h}"));
            }
            line
        })
        .collect();
    if !errors.is_empty() {
        let n = errors.len();
        let first = errors
            .first()
            .and_then(|e| e.lines().next())
            .unwrap_or_default()
            .to_string();
        return verdict(
            false,
            format!(
                "FAILED: test {name:?}: the rule set does not compile ({n} error{}; first: {first})",
                if n == 1 { "" } else { "s" }
            ),
            format!(
                "test {name:?} FAILED: the rule set does not compile, so no test can run.\n\n{}\n",
                errors.join("\n")
            ),
        );
    }
    let rules = &a.checked.rules;
    let Some(test) = rules.tests.iter().find(|t| t.name == name) else {
        return verdict(
            false,
            format!("FAILED: test {name:?}: the rule set has no test of that name"),
            format!(
                "test {name:?} FAILED: the rule set has no test of that name (its tests: {})\n",
                rules
                    .tests
                    .iter()
                    .map(|t| format!("{:?}", t.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    };
    let engine = vital_eval::Engine::new(rules);
    let result = vital_eval::testing::run_test(&engine, test);
    let at = a.locate(test.loc.file, test.loc.span.start);
    if result.passed() {
        return verdict(
            true,
            format!("passed: test {name:?}"),
            format!("test {name:?} ({at}) passed\n"),
        );
    }
    let failures: Vec<String> = result
        .failures
        .iter()
        .map(|f| {
            format!(
                "{}  at {}\n    {}",
                source_of(a, f.loc),
                a.locate(f.loc.file, f.loc.span.start),
                f.actual
            )
        })
        .collect();
    let first = result.failures.first().map_or_else(String::new, |f| {
        format!("{}: {}", source_of(a, f.loc), f.actual)
    });
    let n = result.failures.len();
    verdict(
        false,
        format!(
            "FAILED: test {name:?}: {first}{}",
            if n > 1 {
                format!(" (and {} more)", n - 1)
            } else {
                String::new()
            }
        ),
        format!(
            "test {name:?} ({at}) FAILED: {n} expectation{} not met\n\n{}\n",
            if n == 1 { "" } else { "s" },
            failures.join("\n")
        ),
    )
}

/// The text of an `expect`, on one line.
fn source_of(a: &Analysis, loc: vital_check::ir::Loc) -> String {
    a.text(loc.file)
        .get(loc.span.start..loc.span.end)
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
