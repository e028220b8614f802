//! `vital check` output formats: human (miette), json (JSON Lines), github
//! (workflow annotations), sarif (SARIF 2.1.0).

use serde_json::{json, Value as Json};
use std::io::Write;
use vital_syntax::{Code, Diagnostic, Report, Severity, SourceMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

struct Pos {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn pos(sources: &SourceMap, d: &Diagnostic) -> Pos {
    let f = sources.file(d.file);
    let s = f.line_col(d.span.start);
    let e = f.line_col(d.span.end);
    Pos {
        file: f.path.clone(),
        line: s.line,
        column: s.column,
        end_line: e.line,
        end_column: e.column,
    }
}

/// One diagnostic as the JSON object of docs/language.md §10.
pub fn to_json(sources: &SourceMap, d: &Diagnostic) -> Json {
    let p = pos(sources, d);
    let related: Vec<Json> = d
        .related
        .iter()
        .map(|r| {
            let f = sources.file(r.file);
            let lc = f.line_col(r.span.start);
            json!({"file": f.path, "line": lc.line, "column": lc.column, "message": r.message})
        })
        .collect();
    json!({
        "severity": d.severity.as_str(),
        "code": d.code.qualified(),
        "message": d.message,
        "file": p.file,
        "line": p.line,
        "column": p.column,
        "end_line": p.end_line,
        "end_column": p.end_column,
        "help": d.help,
        "related": related,
    })
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_prop(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn sarif_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The diagnostics of one rule set and the sources they point into; a
/// check of several rule sets (a project's) reports several units.
pub struct Unit<'a> {
    /// `rule set `main` (rules)`, when there are several.
    pub label: Option<String>,
    pub sources: &'a SourceMap,
    pub diags: &'a [Diagnostic],
}

pub fn sarif(units: &[Unit<'_>]) -> Json {
    let rules: Vec<Json> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.qualified(),
                "name": c.name(),
                "shortDescription": {"text": c.description()},
                "defaultConfiguration": {"level": c.severity().as_str()},
            })
        })
        .collect();
    let results: Vec<Json> = units
        .iter()
        .flat_map(|u| u.diags.iter().map(move |d| (u.sources, d)))
        .map(|(sources, d)| {
            let p = pos(sources, d);
            let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let related: Vec<Json> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let f = sources.file(r.file);
                    let s = f.line_col(r.span.start);
                    let e = f.line_col(r.span.end);
                    json!({
                        "id": i,
                        "message": {"text": r.message},
                        "physicalLocation": {
                            "artifactLocation": {"uri": sarif_uri(&f.path)},
                            "region": {"startLine": s.line, "startColumn": s.column, "endLine": e.line, "endColumn": e.column},
                        },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.qualified(),
                "ruleIndex": rule_index,
                "level": d.severity.as_str(),
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": sarif_uri(&p.file)},
                        "region": {"startLine": p.line, "startColumn": p.column, "endLine": p.end_line, "endColumn": p.end_column},
                    }
                }],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Json::Array(related);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "vital",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// Write the diagnostics of a check in the chosen format.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    color: bool,
    units: &[Unit<'_>],
) -> std::io::Result<()> {
    let all = || {
        units
            .iter()
            .flat_map(|u| u.diags.iter().map(move |d| (u.sources, d)))
    };
    match format {
        Format::Human => {
            for u in units {
                if let Some(label) = &u.label {
                    if u.diags.is_empty() {
                        writeln!(out, "{label}: no problems")?;
                    } else {
                        writeln!(out, "{label}:")?;
                    }
                }
                for d in u.diags {
                    write!(out, "{}", Report::new(d, u.sources).render(color))?;
                    writeln!(out)?;
                }
            }
            let errors = all().filter(|(_, d)| d.severity == Severity::Error).count();
            let warnings = all().count() - errors;
            let files: usize = units.iter().map(|u| u.sources.len()).sum();
            let mut files = format!("{files} file{}", if files == 1 { "" } else { "s" });
            if units.len() > 1 {
                files.push_str(&format!(" of {} rule sets", units.len()));
            }
            if all().next().is_none() {
                writeln!(out, "No problems found in {files}.")?;
            } else {
                writeln!(
                    out,
                    "Found {errors} error{} and {warnings} warning{} in {files}.",
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" }
                )?;
            }
        }
        Format::Json => {
            for (sources, d) in all() {
                writeln!(out, "{}", to_json(sources, d))?;
            }
        }
        Format::Github => {
            for (sources, d) in all() {
                let p = pos(sources, d);
                let kind = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let mut msg = d.message.clone();
                if let Some(h) = &d.help {
                    msg.push_str(&format!("\nhelp: {h}"));
                }
                writeln!(
                    out,
                    "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                    gh_escape_prop(&p.file),
                    p.line,
                    p.column,
                    p.end_line,
                    p.end_column,
                    gh_escape_prop(&d.code.qualified()),
                    gh_escape_data(&msg)
                )?;
            }
        }
        Format::Sarif => {
            let doc = sarif(units);
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
