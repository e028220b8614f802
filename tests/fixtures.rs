//! Fixture tests: one test per file under `tests/fixtures/`.
//!
//! * Every fixture is a rule set of its own. The diagnostics it must produce
//!   are written inside it, typst-style, as a comment on the offending line:
//!   `# error: unknown-name` or `# warning: unused-signal` (several on one
//!   line separated by commas). The checker must report exactly those
//!   (line, severity, code) triples — no more, no fewer.
//! * `invalid/` fixtures also snapshot the rendered report (miette, no
//!   colour), so the wording and labels are reviewed.
//! * Every fixture that parses is formatted: the result is snapshotted (for
//!   `valid/`), formatting is idempotent, and the checked rule set before and
//!   after formatting is the same (comments kept, meaning unchanged).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use datatest_stable::Utf8Path;
use vital_syntax::lexer::{tokenize, TokenKind};
use vital_syntax::{Report, SourceFile, SourceMap};

/// One diagnostic as a fixture annotates it: `# error: unknown-name` on
/// line 3 is `{ line: 3, severity: "error", code: "unknown-name" }`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    line: usize,
    severity: String,
    code: String,
}

/// `tests/snapshots`, whichever crate runs this file (a path relative to the
/// source would depend on how insta finds the workspace root).
const SNAPSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/snapshots");

/// The `# error: CODE` / `# warning: CODE` annotations of a fixture.
fn expected(source: &str) -> Vec<Expected> {
    let file = SourceFile::new("x", source);
    let mut out = Vec::new();
    for tok in tokenize(source) {
        if tok.kind != TokenKind::Comment {
            continue;
        }
        let text = &source[tok.span.start..tok.span.end];
        let line = file.line_col(tok.span.start).line;
        for part in text.trim_start_matches('#').split([',', '#']) {
            let part = part.trim();
            for sev in ["error", "warning"] {
                if let Some(code) = part.strip_prefix(sev).and_then(|r| r.strip_prefix(':')) {
                    let code = code.split_whitespace().next().unwrap_or("");
                    out.push(Expected {
                        line,
                        severity: sev.to_string(),
                        code: code.to_string(),
                    });
                }
            }
        }
    }
    out.sort();
    out
}

fn name_of(path: &Utf8Path) -> String {
    let dir = path.parent().and_then(|p| p.file_name()).unwrap_or("");
    format!("{dir}__{}", path.file_stem().unwrap_or(""))
}

fn check_fixture(path: &Utf8Path, source: String) -> datatest_stable::Result<()> {
    let display = format!(
        "{}/{}",
        path.parent().and_then(|p| p.file_name()).unwrap_or(""),
        path.file_name().unwrap_or("")
    );
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(display, source.clone()));
    let checked = vital_check::check(&sources);

    // 1. the diagnostics are exactly the annotated ones
    let file = sources.file(vital_syntax::FileId(0));
    let mut actual: Vec<Expected> = checked
        .diagnostics
        .iter()
        .map(|d| Expected {
            line: file.line_col(d.span.start).line,
            severity: d.severity.as_str().to_string(),
            code: d.code.name().to_string(),
        })
        .collect();
    actual.sort();
    let want = expected(&source);
    if actual != want {
        let rendered: String = checked
            .diagnostics
            .iter()
            .map(|d| Report::new(d, &sources).render(false))
            .collect();
        return Err(format!(
            "diagnostics differ from the annotations\n  expected: {want:?}\n  actual:   {actual:?}\n\n{rendered}"
        )
        .into());
    }
    let is_valid = path.as_str().contains("/valid/");
    if is_valid && !want.is_empty() {
        return Err("a valid/ fixture must have no diagnostics".into());
    }
    if !is_valid && want.is_empty() {
        return Err("an invalid/ fixture must annotate at least one diagnostic".into());
    }

    // 2. the rendered report, reviewed as a snapshot
    if !is_valid {
        let rendered: String = checked
            .diagnostics
            .iter()
            .map(|d| Report::new(d, &sources).render(false))
            .collect::<Vec<_>>()
            .join("\n");
        insta::with_settings!({ snapshot_path => SNAPSHOTS, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(format!("diagnostics__{}", name_of(path)), rendered);
        });
    }

    // 3. formatting: snapshot, idempotent, meaning kept
    match vital_syntax::format::format_source(vital_syntax::FileId(0), &source) {
        Ok(formatted) => {
            let again = vital_syntax::format::format_source(vital_syntax::FileId(0), &formatted)
                .map_err(|d| format!("the formatted text does not parse: {d:#?}\n{formatted}"))?;
            if again != formatted {
                return Err(format!(
                    "formatting is not idempotent\n--- once\n{formatted}\n--- twice\n{again}"
                )
                .into());
            }
            let mut after = SourceMap::new();
            after.add(SourceFile::new(file.path.clone(), formatted.clone()));
            let rechecked = vital_check::check(&after);
            let before_ir = meaning(&checked.rules);
            let after_ir = meaning(&rechecked.rules);
            if before_ir != after_ir {
                return Err(format!("formatting changed the checked rule set\n{formatted}").into());
            }
            let codes = |c: &vital_check::Checked| {
                c.diagnostics
                    .iter()
                    .map(|d| (d.code, d.message.clone()))
                    .collect::<Vec<_>>()
            };
            if codes(&checked) != codes(&rechecked) {
                return Err(format!("formatting changed the diagnostics\n{formatted}").into());
            }
            if is_valid {
                insta::with_settings!({ snapshot_path => SNAPSHOTS, prepend_module_to_snapshot => false, omit_expression => true }, {
                    insta::assert_snapshot!(format!("fmt__{}", name_of(path)), formatted);
                });
            }
        }
        Err(_) => {
            if is_valid {
                return Err("a valid fixture failed to format".into());
            }
        }
    }
    Ok(())
}

/// The checked rule set without source positions: what a rule set means.
fn meaning(rules: &vital_check::RuleSet) -> String {
    let dump = format!("{rules:#?}");
    let mut out = String::with_capacity(dump.len());
    let mut rest = dump.as_str();
    // spans print as `@START..END`; positions are not meaning
    while let Some(i) = rest.find('@') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let skip = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(tail.len());
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

datatest_stable::harness! {
    { test = check_fixture, root = "../../tests/fixtures", pattern = r"\.vital$" },
}
