//! `docs/diagnostics.md` lists every diagnostic code; this test keeps it in
//! step with `vital_syntax::Code` (run with `UPDATE_DOCS=1` to rewrite it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vital_syntax::{Code, FileId, Report, SourceFile, SourceMap};

fn render() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every diagnostic of `vital check` (and of the language server) has one of\n\
         these stable codes, written `vital::NAME` in every output format. The\n\
         fixtures under `tests/fixtures/invalid/` show each one on real rules.\n\n\
         | code | severity | meaning |\n|---|---|---|\n",
    );
    for c in Code::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.qualified(),
            c.severity().as_str(),
            c.description()
        ));
    }
    out.push_str(
        "\n`vital compile` adds three codes of its own, for rule sets that check\n\
         clean but cannot be written as SQL for the target asked for (see\n\
         [sql.md](sql.md)):\n\n| code | meaning |\n|---|---|\n",
    );
    for (code, meaning) in [
        (vital_sql::UNSUPPORTED, "A construct the target cannot express"),
        (
            vital_sql::OUT_OF_RANGE,
            "A constant `DECIMAL(38,10)` cannot hold exactly",
        ),
        (
            vital_sql::NAME_CLASH,
            "A name that would clash with a column of the SQL (in any case where the target ignores case), or that the target would cut",
        ),
    ] {
        out.push_str(&format!("| `{code}` | {meaning} |\n"));
    }
    out
}

#[test]
fn the_code_list_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/diagnostics.md");
    let want = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        have, want,
        "docs/diagnostics.md is stale: run `UPDATE_DOCS=1 cargo test -p vital-cli --test docs`"
    );
}

#[test]
fn every_code_appears_in_a_fixture() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/invalid");
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    // codes only reachable from files on disk (or a sample: never-fires,
    // arm-never-taken — tests/cli_check_sample.rs) are covered by the CLI tests
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| {
            !matches!(
                **c,
                Code::Io | Code::Project | Code::NeverFires | Code::ArmNeverTaken
            )
        })
        .map(|c| c.name())
        .filter(|n| {
            !all.contains(&format!("error: {n}")) && !all.contains(&format!("warning: {n}"))
        })
        .collect();
    assert!(missing.is_empty(), "codes with no fixture: {missing:?}");
}

// ---------------------------------------------------------------- code blocks

/// A fenced code block of a Markdown file.
struct Block {
    /// `README.md` or `docs/NAME.md`.
    doc: String,
    /// The 1-based line of the opening fence.
    line: usize,
    /// The info string's first word (`vital`, `json`, `console`, …).
    lang: String,
    /// The info string's other words (`fragment`, `error=type-mismatch`, …).
    tags: Vec<String>,
    text: String,
}

impl Block {
    fn place(&self) -> String {
        let info = std::iter::once(self.lang.as_str())
            .chain(self.tags.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ");
        format!("{}:{}: ```{info}", self.doc, self.line)
    }
    fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
    fn value(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// README.md and every `docs/*.md`, as (name, text).
fn documents() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root().join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

fn blocks(doc: &str, text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match open.as_mut() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let mut words = info.split_whitespace().map(str::to_string);
                    open = Some(Block {
                        doc: doc.to_string(),
                        line: i + 1,
                        lang: words.next().unwrap_or_default(),
                        tags: words.collect(),
                        text: String::new(),
                    });
                }
            }
            Some(b) => {
                if line.trim_end() == "```" {
                    out.extend(open.take());
                } else {
                    b.text.push_str(line);
                    b.text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "{doc}: a code block is not closed");
    out
}

/// Checks `files` (path, text) as one rule set; returns the diagnostics of
/// the files at the indices in `own` (the others are context: the prelude)
/// rendered for a failure message, split into errors and warnings, with the
/// error codes.
struct Outcome {
    error_codes: Vec<String>,
    own_errors: Vec<String>,
    own_warnings: Vec<String>,
    other: Vec<String>,
}

fn check(files: &[(String, String)], own: &[usize]) -> Outcome {
    let mut sources = SourceMap::new();
    for (path, text) in files {
        sources.add(SourceFile::new(path.clone(), text.clone()));
    }
    let checked = vital_check::check(&sources);
    let mut out = Outcome {
        error_codes: Vec::new(),
        own_errors: Vec::new(),
        own_warnings: Vec::new(),
        other: Vec::new(),
    };
    for d in &checked.diagnostics {
        let rendered = Report::new(d, &sources).render(false);
        let is_error = d.severity.as_str() == "error";
        if is_error {
            out.error_codes.push(d.code.name().to_string());
        }
        if own.contains(&(d.file.0 as usize)) {
            if is_error {
                out.own_errors.push(rendered);
            } else {
                out.own_warnings.push(rendered);
            }
        } else if is_error || !d.code.name().starts_with("unused-") {
            // the prelude may declare names a block does not read
            out.other.push(rendered);
        }
    }
    out.error_codes.sort();
    out.error_codes.dedup();
    out
}

/// `format_source(text) == text`, or a message showing the canonical form.
fn fmt_clean(text: &str) -> Result<(), String> {
    match vital_syntax::format::format_source(FileId(0), text) {
        Ok(f) if f == text => Ok(()),
        Ok(f) => Err(format!(
            "is not `vital fmt`-clean; the canonical form is:\n{f}"
        )),
        Err(_) => Err("does not parse, so it cannot be formatted".to_string()),
    }
}

fn vital(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vital"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Writes the rule set to a temporary directory and runs its `test` blocks
/// with the real binary.
fn tests_pass(files: &[(String, String)]) -> Result<(), String> {
    if !files
        .iter()
        .any(|(_, t)| t.lines().any(|l| l.starts_with("test ")))
    {
        return Ok(());
    }
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let out = vital(dir.path(), &["test", "."]);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "has a failing `test` block:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

const KNOWN_TAGS: [&str; 4] = ["prelude", "fragment", "example", "error"];

/// The one ```vital prelude block of docs/language.md.
fn prelude(all: &[Block]) -> String {
    let found: Vec<&Block> = all
        .iter()
        .filter(|b| b.lang == "vital" && b.has("prelude"))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "there must be exactly one ```vital prelude block (in docs/language.md)"
    );
    assert_eq!(
        found[0].doc, "docs/language.md",
        "the prelude lives in docs/language.md"
    );
    found[0].text.clone()
}

/// One ```vital block on its own terms (see `every_vital_block_checks`).
fn check_block(b: &Block, prelude: &str) -> Result<(), String> {
    for t in &b.tags {
        let key = t.split('=').next().unwrap_or("");
        if !KNOWN_TAGS.contains(&key) && key != "file" {
            return Err(format!("unknown tag `{t}`"));
        }
    }
    let with_prelude = b.has("fragment") || b.has("example");
    let mut files = Vec::new();
    if with_prelude {
        files.push(("a_prelude.vital".to_string(), prelude.to_string()));
    }
    files.push(("b_block.vital".to_string(), b.text.clone()));
    let own = [files.len() - 1];
    let outcome = check(&files, &own);
    if let Some(code) = b.value("error") {
        return if outcome.error_codes == [code.to_string()] {
            Ok(())
        } else {
            Err(format!(
                "must report exactly the error `{code}`, reported {:?}\n{}",
                outcome.error_codes,
                outcome.own_errors.join("\n")
            ))
        };
    }
    if b.has("example") {
        // checked with the other parts of the running example
        return Ok(());
    }
    let mut problems: Vec<String> = outcome.own_errors;
    problems.extend(outcome.own_warnings);
    problems.extend(outcome.other);
    if !problems.is_empty() {
        return Err(format!("does not check clean:\n{}", problems.join("\n")));
    }
    fmt_clean(&b.text)?;
    tests_pass(&files)
}

/// Every ```vital block of README.md and docs/*.md:
///
/// * ```vital — a complete rule set: `vital check` reports no error and no
///   warning, `vital fmt` changes nothing, and its `test` blocks pass;
/// * ```vital prelude — the declarations of docs/language.md §2 that
///   fragments are checked with (it may leave names unread);
/// * ```vital fragment — the prelude plus the block is checked (no error,
///   no warning in the block), the block is fmt-clean and its tests pass;
/// * ```vital example — the parts of the running example of
///   docs/language.md (§3, §9): see `the_running_example_computes_section_8`;
/// * ```vital error=CODE (or ```vital fragment error=CODE) — must report
///   exactly that error code;
/// * ```vital file=PATH — a file of a walkthrough: see
///   `walkthroughs_run_as_written`.
#[test]
fn every_vital_block_checks() {
    let mut all = Vec::new();
    for (name, text) in documents() {
        all.extend(blocks(&name, &text));
    }
    let prelude = prelude(&all);
    let mut failures = Vec::new();
    if let Err(e) = fmt_clean(&prelude) {
        failures.push(format!("the prelude {e}"));
    }
    let mut count = 0;
    for b in all.iter().filter(|b| b.lang == "vital") {
        if b.has("prelude") || b.value("file").is_some() {
            continue;
        }
        count += 1;
        if let Err(e) = check_block(b, &prelude) {
            failures.push(format!("{} {e}", b.place()));
        }
    }
    assert!(count >= 10, "only {count} ```vital blocks found");
    assert!(
        failures.is_empty(),
        "{} code block(s) fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The running example of docs/language.md: the prelude (§2) and the
/// ```vital example blocks (§3 rules, §9 test) are one rule set that checks
/// clean and whose tests pass, and the ```json example-input record (§7)
/// scores as the ```json example-output block (§8) says.
#[test]
fn the_running_example_computes_section_8() {
    let text = std::fs::read_to_string(root().join("docs/language.md")).unwrap();
    let all = blocks("docs/language.md", &text);
    let prelude = prelude(&all);
    let mut files = vec![("a_prelude.vital".to_string(), prelude)];
    for (i, b) in all
        .iter()
        .filter(|b| b.lang == "vital" && b.has("example"))
        .enumerate()
    {
        if let Err(e) = fmt_clean(&b.text) {
            panic!("{} {e}", b.place());
        }
        files.push((format!("b_example_{i:02}.vital"), b.text.clone()));
    }
    assert!(files.len() >= 3, "the running example has too few parts");
    let own: Vec<usize> = (1..files.len()).collect();
    let outcome = check(&files, &own);
    let mut problems = outcome.own_errors;
    problems.extend(outcome.own_warnings);
    problems.extend(outcome.other);
    assert!(
        problems.is_empty(),
        "the running example does not check clean:\n{}",
        problems.join("\n")
    );
    if let Err(e) = tests_pass(&files) {
        panic!("the running example {e}");
    }

    let json = |tag: &str| -> Vec<serde_json::Value> {
        all.iter()
            .filter(|b| b.lang == "json" && b.has(tag))
            .flat_map(|b| {
                serde_json::Deserializer::from_str(&b.text)
                    .into_iter::<serde_json::Value>()
                    .map(|v| v.unwrap_or_else(|e| panic!("{} is not JSON: {e}", b.place())))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let input = json("example-input");
    let want = json("example-output");
    assert!(
        !input.is_empty() && !want.is_empty(),
        "no example input or output"
    );
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in &files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let lines: String = input.iter().map(|v| format!("{v}\n")).collect();
    std::fs::write(dir.path().join("input.jsonl"), lines).unwrap();
    let out = vital(
        dir.path(),
        &["run", "--rules", ".", "--format", "jsonl", "input.jsonl"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "vital run failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let have: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        have, want,
        "docs/language.md §8 does not show what `vital run` computes"
    );
}

fn normalise(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut out = lines.join("\n");
    out.truncate(out.trim_end().len());
    out
}

/// Runs one ```console block: `$ mkdir -p DIR`, `$ cd DIR` and `$ vital …`
/// commands, each `vital` command's output (stdout, then stderr) compared
/// with the lines under it.
fn run_console(b: &Block, base: &std::path::Path, cwd: &mut std::path::PathBuf) -> Vec<String> {
    let mut failures = Vec::new();
    let mut commands: Vec<(usize, String, String)> = Vec::new();
    for (i, line) in b.text.lines().enumerate() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            commands.push((b.line + 1 + i, cmd.to_string(), String::new()));
        } else if let Some(last) = commands.last_mut() {
            last.2.push_str(line);
            last.2.push('\n');
        } else {
            failures.push(format!(
                "{}:{}: output before any command",
                b.doc,
                b.line + 1 + i
            ));
        }
    }
    for (line, cmd, want) in commands {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        match words.as_slice() {
            ["mkdir", "-p", dir] | ["mkdir", dir] => {
                std::fs::create_dir_all(cwd.join(dir)).unwrap();
            }
            ["cd", dir] => {
                let next = cwd.join(dir);
                assert!(
                    next.starts_with(base),
                    "{}:{line}: cd out of the walkthrough",
                    b.doc
                );
                *cwd = next;
            }
            ["vital", args @ ..] => {
                let out = vital(cwd, args);
                let have = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                if normalise(&have) != normalise(&want) {
                    failures.push(format!(
                        "{}:{line}: `{cmd}` printed\n{have}\ninstead of\n{want}",
                        b.doc
                    ));
                }
            }
            _ => failures.push(format!("{}:{line}: the test cannot run `{cmd}`", b.doc)),
        }
    }
    failures
}

/// A document with ```… file=PATH blocks is a walkthrough: in a fresh
/// directory, each such block is written to PATH (relative to the directory
/// of the last `cd`) and each ```console block is run, in document order,
/// with the output shown compared to the real output. The final `.vital`
/// files check clean and are fmt-clean.
#[test]
fn walkthroughs_run_as_written() {
    let mut walked = 0;
    for (name, text) in documents() {
        let all = blocks(&name, &text);
        if !all.iter().any(|b| b.value("file").is_some()) {
            continue;
        }
        walked += 1;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_path_buf();
        let mut cwd = base.clone();
        let mut failures = Vec::new();
        let mut rules: Vec<(String, String)> = Vec::new();
        for b in &all {
            if let Some(path) = b.value("file") {
                let target = cwd.join(path);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::write(&target, &b.text).unwrap();
                if b.lang == "vital" {
                    if let Err(e) = fmt_clean(&b.text) {
                        failures.push(format!("{} {e}", b.place()));
                    }
                    rules.retain(|(p, _)| p != path);
                    rules.push((path.to_string(), b.text.clone()));
                }
            } else if b.lang == "console" {
                failures.extend(run_console(b, &base, &mut cwd));
            }
        }
        rules.sort();
        let own: Vec<usize> = (0..rules.len()).collect();
        let outcome = check(&rules, &own);
        if !outcome.own_errors.is_empty() || !outcome.own_warnings.is_empty() {
            failures.push(format!(
                "{name}: the walkthrough's rule files do not check clean:\n{}{}",
                outcome.own_errors.join("\n"),
                outcome.own_warnings.join("\n")
            ));
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }
    assert!(walked >= 1, "no walkthrough found (docs/first-rule-set.md)");
}
