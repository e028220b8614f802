//! The GitHub Action (`action.yml`) run here: its shell steps, as written in
//! the file, run by bash in a temporary repository with a fake `GITHUB_*`
//! environment (a pull request from `feature` into `main`, whose `origin`
//! is a local bare repository) and a local HTTP server on 127.0.0.1 in place
//! of the GitHub API. The steps that install `vital` (cache, cargo install)
//! are not run: the binary under test is put on PATH instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use support::root;

/// One step of the composite action.
#[derive(Debug, Default, Clone)]
struct Step {
    id: String,
    cond: Option<String>,
    uses: Option<String>,
    env: Vec<(String, String)>,
    run: Option<String>,
}

/// `action.yml`, read as this repository writes it: inputs with their
/// defaults, and the steps (`id`, `if`, `uses`, `env`, `run: |`).
fn parse_action(text: &str) -> (BTreeMap<String, String>, Vec<Step>) {
    let mut inputs = BTreeMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut section = "";
    let mut input = String::new();
    let mut in_env = false;
    let mut in_run = false;
    let unquote = |s: &str| s.trim().trim_matches('"').to_string();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 0 && !t.is_empty() && !t.starts_with('#') {
            section = if t == "inputs:" {
                "inputs"
            } else if t == "runs:" {
                "runs"
            } else {
                ""
            };
            continue;
        }
        match section {
            "inputs" => {
                if indent == 2 && t.ends_with(':') {
                    input = t.trim_end_matches(':').to_string();
                } else if indent == 4 {
                    if let Some(d) = t.strip_prefix("default:") {
                        inputs.insert(input.clone(), unquote(d));
                    }
                }
            }
            "runs" => {
                if let Some(id) = t.strip_prefix("- id:") {
                    steps.push(Step {
                        id: id.trim().to_string(),
                        ..Step::default()
                    });
                    in_env = false;
                    in_run = false;
                    continue;
                }
                let Some(step) = steps.last_mut() else {
                    continue;
                };
                if in_run && (indent >= 8 || t.is_empty()) {
                    let run = step.run.get_or_insert_with(String::new);
                    run.push_str(line.get(8..).unwrap_or(""));
                    run.push('\n');
                    continue;
                }
                if in_env && indent == 8 {
                    let (k, v) = t.split_once(':').unwrap();
                    step.env.push((k.to_string(), v.trim().to_string()));
                    continue;
                }
                in_env = false;
                in_run = false;
                if indent == 6 {
                    if t == "env:" {
                        in_env = true;
                    } else if t == "run: |" {
                        in_run = true;
                    } else if let Some(c) = t.strip_prefix("if:") {
                        step.cond = Some(c.trim().to_string());
                    } else if let Some(u) = t.strip_prefix("uses:") {
                        step.uses = Some(u.trim().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    (inputs, steps)
}

/// The fake GitHub API: issue comments of pull request 7 in `acme/health`,
/// served one per page (so the Link header is followed).
#[derive(Default)]
struct Api {
    comments: Vec<(u64, String)>,
    next_id: u64,
    /// Method, path and the Authorization header of every request.
    log: Vec<(String, String, String)>,
}

fn serve(api: Arc<Mutex<Api>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            let mut length = 0;
            let mut auth = String::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap(),
                    "authorization" => auth = v.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let parts: Vec<&str> = first.split_whitespace().collect();
            let (method, target) = (parts[0].to_string(), parts[1].to_string());
            let mut api = api.lock().unwrap();
            api.log.push((method.clone(), target.clone(), auth));
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .map_or(1, |p| p.parse().unwrap());
            let json_body = || -> serde_json::Value { serde_json::from_slice(&body).unwrap() };
            let (status, reply, link) = match (method.as_str(), path) {
                ("GET", "/repos/acme/health/issues/7/comments") => {
                    let list: Vec<serde_json::Value> = api
                        .comments
                        .iter()
                        .skip(page - 1)
                        .take(1)
                        .map(|(id, b)| serde_json::json!({"id": id, "body": b}))
                        .collect();
                    let link = (page < api.comments.len()).then(|| {
                        format!(
                            "<http://{addr}/repos/acme/health/issues/7/comments?per_page=100&page={}>; rel=\"next\"",
                            page + 1
                        )
                    });
                    ("200 OK", serde_json::json!(list), link)
                }
                ("POST", "/repos/acme/health/issues/7/comments") => {
                    api.next_id += 1;
                    let id = api.next_id;
                    let b = json_body()["body"].as_str().unwrap().to_string();
                    api.comments.push((id, b.clone()));
                    (
                        "201 Created",
                        serde_json::json!({"id": id, "body": b}),
                        None,
                    )
                }
                ("PATCH", p) if p.starts_with("/repos/acme/health/issues/comments/") => {
                    let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap();
                    let b = json_body()["body"].as_str().unwrap().to_string();
                    match api.comments.iter_mut().find(|c| c.0 == id) {
                        Some(c) => {
                            c.1 = b.clone();
                            ("200 OK", serde_json::json!({"id": id, "body": b}), None)
                        }
                        None => ("404 Not Found", serde_json::json!({}), None),
                    }
                }
                _ => (
                    "404 Not Found",
                    serde_json::json!({"message": "Not Found"}),
                    None,
                ),
            };
            let text = reply.to_string();
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                text.len()
            );
            if let Some(l) = link {
                head.push_str(&format!("Link: {l}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(text.as_bytes());
        }
    });
    format!("http://{addr}")
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the action's steps like the runner: each `run` with `bash
/// --noprofile --norc -eo pipefail`, `${{ … }}` in `env` resolved from the
/// inputs, the event and earlier steps' outputs.
struct Runner {
    workspace: PathBuf,
    temp: PathBuf,
    env: Vec<(String, String)>,
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// What each step wrote on standard output.
    stdout: BTreeMap<String, String>,
}

impl Runner {
    fn value(&self, expr: &str) -> String {
        let Some(inner) = expr.strip_prefix("${{").and_then(|e| e.strip_suffix("}}")) else {
            return expr.to_string();
        };
        let inner = inner.trim();
        if let Some(i) = inner.strip_prefix("inputs.") {
            // a default may itself be an expression (`${{ github.token }}`)
            return self.value(&self.inputs.get(i).cloned().unwrap_or_default());
        }
        if let Some(rest) = inner.strip_prefix("steps.") {
            let (step, out) = rest.split_once(".outputs.").unwrap();
            return self
                .outputs
                .get(step)
                .and_then(|o| o.get(out))
                .cloned()
                .unwrap_or_default();
        }
        match inner {
            "github.action_path" => root().to_string_lossy().into_owned(),
            "github.base_ref" => "main".into(),
            "github.token" => "fake-token".into(),
            other => panic!("expression {other} not known to the test runner"),
        }
    }

    /// Run one step; its exit status.
    fn step(&mut self, s: &Step) -> i32 {
        let run = s
            .run
            .as_ref()
            .unwrap_or_else(|| panic!("step {} has no run", s.id));
        let output = self.temp.join(format!("output-{}", s.id));
        std::fs::write(&output, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run])
            .current_dir(&self.workspace)
            .env("GITHUB_OUTPUT", &output);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in &s.env {
            cmd.env(k, self.value(v));
        }
        let out = cmd.output().unwrap();
        eprintln!(
            "step {}: {}\n{}{}",
            s.id,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut outs = BTreeMap::new();
        for line in std::fs::read_to_string(&output).unwrap().lines() {
            if let Some((k, v)) = line.split_once('=') {
                outs.insert(k.to_string(), v.to_string());
            }
        }
        self.outputs.insert(s.id.clone(), outs);
        self.stdout.insert(
            s.id.clone(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        );
        out.status.code().unwrap_or(-1)
    }
}

#[test]
fn the_action_checks_tests_and_keeps_one_sticky_diff_comment() {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let (defaults, steps) = parse_action(&text);
    let ids: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["key", "cache", "install", "check", "fmt", "test", "diff", "comment", "verdict"]
    );
    let by_id = |id: &str| steps.iter().find(|s| s.id == id).unwrap().clone();
    // installs from this repository, cached
    assert_eq!(by_id("cache").uses.as_deref(), Some("actions/cache@v4"));
    assert!(by_id("install")
        .run
        .unwrap()
        .contains("cargo install --locked --path \"$ACTION_PATH/crates/vital-cli\""));
    assert!(by_id("diff")
        .cond
        .unwrap()
        .contains("github.event_name == 'pull_request'"));
    // no `${{ }}` inside a script
    for s in &steps {
        assert!(
            !s.run.as_deref().unwrap_or("").contains("${{"),
            "step {}",
            s.id
        );
    }

    // a repository whose `main` has the example, and a pull request branch
    // that adds a trigger
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    let work = tmp.path().join("work");
    let proj = work.join("health");
    std::fs::create_dir_all(&proj).unwrap();
    git(
        tmp.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            origin.to_str().unwrap(),
        ],
    );
    let ex = root().join("examples/digital-signals");
    std::fs::create_dir_all(proj.join("rules")).unwrap();
    for e in std::fs::read_dir(ex.join("rules")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), proj.join("rules").join(e.file_name())).unwrap();
    }
    std::fs::copy(ex.join("vital.toml"), proj.join("vital.toml")).unwrap();
    std::fs::copy(ex.join("snapshots.jsonl"), proj.join("snapshots.jsonl")).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "rules"]);
    git(
        &work,
        &["remote", "add", "origin", origin.to_str().unwrap()],
    );
    git(&work, &["push", "-q", "origin", "main"]);
    git(&work, &["checkout", "-q", "-b", "feature"]);
    let rules = proj.join("rules/rules.vital");
    let mut r = std::fs::read_to_string(&rules).unwrap();
    r.push_str("\nwhen logins_30d < 50 trigger \"check in\"\n");
    // and a constant nothing reads: a warning, annotated on its line
    r.push_str("const spare = 1\n");
    std::fs::write(&rules, r).unwrap();
    git(
        &work,
        &["commit", "-q", "-am", "check in on quiet accounts"],
    );
    // the runner sees `origin/main` only after the step fetches it
    git(&work, &["update-ref", "-d", "refs/remotes/origin/main"]);

    let api = Arc::new(Mutex::new(Api {
        comments: vec![(1, "LGTM".into())],
        next_id: 1,
        log: Vec::new(),
    }));
    let url = serve(api.clone());
    let temp = tmp.path().join("runner-temp");
    std::fs::create_dir_all(&temp).unwrap();
    let event = temp.join("event.json");
    std::fs::write(
        &event,
        r#"{"action": "synchronize", "number": 7, "pull_request": {"number": 7}}"#,
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vital"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let summary = temp.join("summary.md");
    let mut inputs = defaults.clone();
    inputs.insert("path".into(), "health".into());
    inputs.insert(
        "fail-on".into(),
        "  status-changes>5%\ninto-at-risk>100k\n".into(),
    );
    let mut runner = Runner {
        workspace: work.clone(),
        temp: temp.clone(),
        env: vec![
            ("PATH".into(), path),
            ("NO_COLOR".into(), "1".into()),
            ("HOME".into(), tmp.path().to_string_lossy().into_owned()),
            ("GITHUB_API_URL".into(), url),
            ("GITHUB_REPOSITORY".into(), "acme/health".into()),
            ("GITHUB_EVENT_NAME".into(), "pull_request".into()),
            (
                "GITHUB_EVENT_PATH".into(),
                event.to_string_lossy().into_owned(),
            ),
            ("GITHUB_BASE_REF".into(), "main".into()),
            (
                "GITHUB_STEP_SUMMARY".into(),
                summary.to_string_lossy().into_owned(),
            ),
            (
                "GITHUB_PATH".into(),
                temp.join("path").to_string_lossy().into_owned(),
            ),
            ("RUNNER_TEMP".into(), temp.to_string_lossy().into_owned()),
            ("RUNNER_OS".into(), "Linux".into()),
        ],
        inputs,
        outputs: BTreeMap::new(),
        stdout: BTreeMap::new(),
    };
    // the cache key is computed from this repository's sources
    assert_eq!(runner.step(&by_id("key")), 0);
    assert!(runner.outputs["key"]["key"].starts_with("vital-Linux-"));
    for id in ["check", "fmt", "test", "diff", "comment", "verdict"] {
        assert_eq!(runner.step(&by_id(id)), 0, "step {id}");
    }
    // annotations name the file from the repository's root (`path` is
    // `health`), where GitHub puts them on the pull request's diff
    let check = &runner.stdout["check"];
    assert!(
        check.contains("::warning file=health/rules/rules.vital,line="),
        "{check}"
    );
    assert!(!check.contains("file=rules/"), "{check}");
    // JUnit written where the output says
    let junit = work.join(&runner.outputs["test"]["junit"]);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"vital test\" tests=\"6\" failures=\"0\""),
        "{xml}"
    );
    assert_eq!(runner.outputs["diff"]["status"], "0");
    {
        let api = api.lock().unwrap();
        assert_eq!(api.comments.len(), 2);
        let body = &api.comments[1].1;
        assert!(
            body.starts_with(
                "<!-- vital-diff: health -->\n### Vital diff: `origin/main:health/rules` → `rules`"
            ),
            "{body}"
        );
        assert!(body.contains("| check in | 0 |"), "{body}");
        assert!(api
            .log
            .iter()
            .all(|(_, _, auth)| auth == "Bearer fake-token"));
        // the report is also in the job summary
        assert!(std::fs::read_to_string(&summary)
            .unwrap()
            .contains("### Vital diff"));
    }
    // the working tree is on the pull request's branch, untouched
    let head = Command::new("git")
        .args(["status", "--porcelain", "--branch"])
        .current_dir(&work)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&head.stdout);
    assert!(status.starts_with("## feature"), "{status}");
    assert!(!status.contains(" M "), "{status}");

    // the next push crosses a threshold: the same comment is updated and
    // the verdict fails
    runner
        .inputs
        .insert("fail-on".into(), "status-changes>=0".into());
    for id in ["diff", "comment"] {
        assert_eq!(runner.step(&by_id(id)), 0, "step {id}");
    }
    assert_eq!(runner.outputs["diff"]["status"], "1");
    assert_eq!(runner.step(&by_id("verdict")), 1);
    let api = api.lock().unwrap();
    assert_eq!(api.comments.len(), 2, "still one diff comment");
    assert_eq!(api.comments[0].1, "LGTM");
    assert!(
        api.comments[1].1.contains("**Failed:**"),
        "{}",
        api.comments[1].1
    );
    let methods: Vec<&str> = api.log.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "GET", "GET", "PATCH"]);
}
