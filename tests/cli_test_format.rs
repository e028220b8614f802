//! `vital test --format junit|json` through the real binary. The JUnit XML
//! is validated against tests/junit/junit.xsd by a small validator for the
//! part of XML Schema that file uses (global elements by `ref`, `sequence`
//! and `choice` with `minOccurs`/`maxOccurs`, typed attributes with `use`,
//! `mixed` content); an attribute or element the schema does not declare
//! is an error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use roxmltree::{Document, Node};
use std::path::Path;
use support::{root, stderr, stdout, vital_in};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

fn xs<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
    n.children()
        .filter(|c| {
            c.is_element() && c.tag_name().namespace() == Some(XS) && c.tag_name().name() == name
        })
        .collect()
}

fn occurs(n: Node<'_, '_>, attr: &str) -> usize {
    match n.attribute(attr) {
        None => 1,
        Some("unbounded") => usize::MAX,
        Some(x) => x.parse().unwrap(),
    }
}

/// Validate `doc`'s root element against the schema; errors as text.
fn validate(schema: &Document<'_>, doc: &Document<'_>) -> Vec<String> {
    let mut errors = Vec::new();
    let root = doc.root_element();
    element(schema, root, root.tag_name().name(), &mut errors);
    errors
}

fn global<'a, 'i>(schema: &'a Document<'i>, name: &str) -> Option<Node<'a, 'i>> {
    xs(schema.root_element(), "element")
        .into_iter()
        .find(|e| e.attribute("name") == Some(name))
}

fn element(schema: &Document<'_>, node: Node<'_, '_>, want: &str, errors: &mut Vec<String>) {
    let name = node.tag_name().name();
    if name != want {
        errors.push(format!("expected <{want}>, found <{name}>"));
        return;
    }
    let Some(decl) = global(schema, name) else {
        errors.push(format!("<{name}> is not declared"));
        return;
    };
    let ty = xs(decl, "complexType")[0];
    // attributes
    let declared = xs(ty, "attribute");
    for a in node.attributes() {
        match declared
            .iter()
            .find(|d| d.attribute("name") == Some(a.name()))
        {
            None => errors.push(format!("<{name}> has undeclared attribute `{}`", a.name())),
            Some(d) => {
                let ok = match d.attribute("type") {
                    Some("xs:nonNegativeInteger") => a.value().parse::<u64>().is_ok(),
                    Some("xs:decimal") => {
                        let v = a.value();
                        !v.is_empty()
                            && v.chars()
                                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                            && v.parse::<f64>().is_ok()
                    }
                    Some("xs:string") => true,
                    other => panic!("type {other:?} not handled"),
                };
                if !ok {
                    errors.push(format!(
                        "<{name} {}=\"{}\"> is not of its type",
                        a.name(),
                        a.value()
                    ));
                }
            }
        }
    }
    for d in &declared {
        let n = d.attribute("name").unwrap();
        if d.attribute("use") == Some("required") && node.attribute(n).is_none() {
            errors.push(format!("<{name}> lacks required attribute `{n}`"));
        }
    }
    // content
    let mixed = ty.attribute("mixed") == Some("true");
    if !mixed {
        for c in node.children().filter(|c| c.is_text()) {
            if !c.text().unwrap_or("").trim().is_empty() {
                errors.push(format!("<{name}> holds text"));
            }
        }
    }
    let kids: Vec<Node<'_, '_>> = node.children().filter(|c| c.is_element()).collect();
    let group = xs(ty, "sequence")
        .into_iter()
        .chain(xs(ty, "choice"))
        .next();
    let Some(group) = group else {
        if !kids.is_empty() {
            errors.push(format!("<{name}> may not hold elements"));
        }
        return;
    };
    let (lo, hi) = (occurs(group, "minOccurs"), occurs(group, "maxOccurs"));
    let allowed: Vec<(String, usize, usize)> = xs(group, "element")
        .iter()
        .map(|e| {
            (
                e.attribute("ref").unwrap().to_string(),
                occurs(*e, "minOccurs"),
                occurs(*e, "maxOccurs"),
            )
        })
        .collect();
    if group.tag_name().name() == "sequence" {
        // one particle per element kind here: count each
        for (r, min, max) in &allowed {
            let n = kids.iter().filter(|k| k.tag_name().name() == r).count();
            if n < *min || n > *max {
                errors.push(format!("<{name}> holds {n} <{r}>, allowed {min}..{max}"));
            }
        }
    } else if kids.len() < lo || kids.len() > hi {
        errors.push(format!(
            "<{name}> holds {} elements, allowed {lo}..{hi}",
            kids.len()
        ));
    }
    for k in kids {
        let kn = k.tag_name().name();
        if allowed.iter().any(|(r, _, _)| r == kn) {
            element(schema, k, kn, errors);
        } else {
            errors.push(format!("<{name}> may not hold <{kn}>"));
        }
    }
}

fn check_junit(xml: &str) {
    let xsd = std::fs::read_to_string(root().join("tests/junit/junit.xsd")).unwrap();
    let schema = Document::parse(&xsd).unwrap();
    let doc = Document::parse(xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    let errors = validate(&schema, &doc);
    assert!(errors.is_empty(), "{errors:#?}\n{xml}");
}

fn project(dir: &Path) {
    let ex = root().join("examples/digital-signals");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    for e in std::fs::read_dir(ex.join("rules")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("rules").join(e.file_name())).unwrap();
    }
    std::fs::copy(ex.join("vital.toml"), dir.join("vital.toml")).unwrap();
}

#[test]
fn the_validator_rejects_what_the_schema_does_not_allow() {
    let xsd = std::fs::read_to_string(root().join("tests/junit/junit.xsd")).unwrap();
    let schema = Document::parse(&xsd).unwrap();
    for (bad, why) in [
        ("<testsuites tests=\"1\" failures=\"0\"/>", "lacks required attribute `errors`"),
        ("<testsuites tests=\"x\" failures=\"0\" errors=\"0\"/>", "is not of its type"),
        (
            "<testsuites tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"a\" classname=\"b\"/></testsuites>",
            "may not hold <testcase>",
        ),
        (
            "<testsuites tests=\"1\" failures=\"0\" errors=\"0\"><testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\"><testcase name=\"a\" classname=\"b\"><failure message=\"m\"/><error message=\"m\"/></testcase></testsuite></testsuites>",
            "holds 2 elements",
        ),
        ("<testsuites tests=\"1\" failures=\"0\" errors=\"0\" colour=\"red\"/>", "undeclared attribute"),
    ] {
        let doc = Document::parse(bad).unwrap();
        let errors = validate(&schema, &doc);
        assert!(errors.iter().any(|e| e.contains(why)), "{bad}: {errors:?}");
    }
}

#[test]
fn junit_of_passing_and_failing_tests_validates() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let out = vital_in(dir.path(), &["test", "--format", "junit"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let xml = stdout(&out);
    check_junit(&xml);
    let doc = Document::parse(&xml).unwrap();
    let suites = doc.root_element();
    assert_eq!(suites.attribute("tests"), Some("6"));
    assert_eq!(suites.attribute("failures"), Some("0"));
    let cases: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 6);
    assert_eq!(
        cases[0].attribute("name"),
        Some("healthy product-led account is thriving")
    );
    assert_eq!(cases[0].attribute("file"), Some("rules/tests.vital"));
    assert_eq!(cases[0].attribute("line"), Some("6"));

    // a failing expectation, with a name that needs escaping
    let p = dir.path().join("rules/tests.vital");
    let text = std::fs::read_to_string(&p).unwrap();
    let text = text
        .replace("expect usage == 73.8", "expect usage == 70")
        .replace(
            "test \"healthy product-led account is thriving\"",
            "test \"healthy <product-led> & \\\"thriving\\\"\"",
        );
    std::fs::write(&p, text).unwrap();
    let out = vital_in(dir.path(), &["test", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    check_junit(&xml);
    let doc = Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("failures"), Some("1"));
    let failing = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .unwrap();
    assert_eq!(
        failing.attribute("name"),
        Some("healthy <product-led> & \"thriving\"")
    );
    let failure = failing
        .children()
        .find(|c| c.has_tag_name("failure"))
        .unwrap();
    assert_eq!(
        failure.attribute("message"),
        Some("expect usage == 70 at rules/tests.vital:29:3: left side is 73.8, right side is 70")
    );
    // the body is the failure report: the expectation and the waterfall
    let body = failure.text().unwrap();
    assert!(body.contains("usage  73.8"), "{body}");
    // the human report is unchanged by the option's existence
    let human = vital_in(dir.path(), &["test"]);
    assert!(stdout(&human).contains("test healthy <product-led> & \"thriving\" ... FAILED"));
}

/// A line break in a test's name survives in the XML attribute (written
/// `&#10;`; a literal one would be read back as a space).
#[test]
fn a_line_break_in_a_name_survives_in_junit() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let p = dir.path().join("rules/tests.vital");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "test \"healthy product-led account is thriving\"",
        "test \"two\\nlines\"",
    );
    std::fs::write(&p, text).unwrap();
    let out = vital_in(dir.path(), &["test", "--format", "junit"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let xml = stdout(&out);
    check_junit(&xml);
    let doc = Document::parse(&xml).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("two\nlines")),
        "{xml}"
    );
}

#[test]
fn junit_reports_a_rule_set_that_does_not_load_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::write(
        dir.path().join("rules/broken.vital"),
        "score x weight = 3\n",
    )
    .unwrap();
    let out = vital_in(dir.path(), &["test", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let xml = stdout(&out);
    check_junit(&xml);
    let doc = Document::parse(&xml).unwrap();
    assert_eq!(doc.root_element().attribute("errors"), Some("1"));
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error>");
    assert_eq!(
        error.attribute("message"),
        Some("the rules in `rules` do not check")
    );
    // the diagnostics are in the <error> (what a CI page shows of the
    // suite), as the human format renders them, without colour
    let text = error.text().unwrap_or_default();
    assert!(text.contains("broken.vital:1:"), "{text}");
    assert!(
        text.contains("expected a weight (a number), found `=`"),
        "{text}"
    );
    assert!(text.contains("nothing was tested"), "{text}");
    // and on standard error, as with the human format
    assert!(stderr(&out).contains("broken.vital:1:"), "{}", stderr(&out));

    // in JSON: the suite's error and its diagnostics as `vital check
    // --format json` gives them
    let out = vital_in(dir.path(), &["test", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let suite = &v["suites"][0];
    assert_eq!(suite["error"], "the rules in `rules` do not check");
    let d = &suite["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert!(d["file"].as_str().unwrap().ends_with("broken.vital"), "{d}");
    assert_eq!(d["line"], 1);
    assert_eq!(d["code"], "vital::syntax", "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("expected a weight"),
        "{d}"
    );
}

#[test]
fn json_lists_each_test_with_its_failures() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let p = dir.path().join("rules/tests.vital");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        text.replace("expect usage == 73.8", "expect usage == 70"),
    )
    .unwrap();
    let out = vital_in(
        dir.path(),
        &["test", "--format", "json", "--filter", "thriving"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["passed"], 0);
    assert_eq!(v["failed"], 1);
    let suite = &v["suites"][0];
    assert_eq!(suite["path"], "rules");
    assert_eq!(suite["error"], serde_json::Value::Null);
    let t = &suite["tests"][0];
    assert_eq!(t["name"], "healthy product-led account is thriving");
    assert_eq!(t["passed"], false);
    assert_eq!(t["line"], 6);
    assert_eq!(
        t["failures"],
        serde_json::json!([{"expect": "expect usage == 70", "at": "rules/tests.vital:29:3",
                             "actual": "left side is 73.8, right side is 70"}])
    );
    let none = vital_in(
        dir.path(),
        &["test", "--format", "json", "--filter", "nothing like it"],
    );
    assert_eq!(none.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&none)).unwrap();
    assert!(v["suites"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("no test matches"));
}
