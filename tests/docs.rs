//! `docs/diagnostics.md` lists every diagnostic code; this test keeps it in
//! step with `vital_syntax::Code` (run with `UPDATE_DOCS=1` to rewrite it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vital_syntax::Code;

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
    // codes only reachable from files on disk are covered by the CLI tests
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| **c != Code::Io)
        .map(|c| c.name())
        .filter(|n| {
            !all.contains(&format!("error: {n}")) && !all.contains(&format!("warning: {n}"))
        })
        .collect();
    assert!(missing.is_empty(), "codes with no fixture: {missing:?}");
}
