//! The workspace model: open documents, rule-set roots, and the cache of
//! checked rule sets (with the parses they were built from). Each request
//! resolves its document and position here and hands one [`Analysis`] to the
//! feature that answers it (`diagnostics.rs`, `navigation.rs`, `symbols.rs`,
//! `actions.rs`, `hover.rs`, `decorations.rs`, `complete.rs`,
//! `testing.rs`). Nothing here talks to the client, so tests drive it in
//! process; `server.rs` wires it to tower-lsp-server and holds it under one
//! lock — there is no other.
//!
//! Rule sets: a file belongs to the rule set rooted at the highest directory
//! of an unbroken chain of ancestors that hold `.vital` files (a file in
//! `rules/scores/` joins `rules/` when `rules/` has `.vital` files too), never
//! above its workspace folder; a file outside every workspace folder forms a
//! rule set with its own directory. The files of a rule set are those
//! `vital check ROOT` reads (`vital_check::load`, the same loader), plus the
//! open documents under the root; open documents overlay the disk.

use crate::analysis::Analysis;
use crate::convert::{self, path_of, Encoding};
use crate::testing::Verdict;
use crate::{
    actions, complete, decorations, diagnostics, hover, navigation, sample, symbols, testing,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;
use vital_check::load;
use vital_syntax::{FileId, ParsedFile, Span};

pub use crate::decorations::TOKEN_TYPES;

/// Timing of a re-check's phases on stderr, when `VITAL_LSP_TIMING` is set
/// (how the latency figures in the README were taken apart).
pub(crate) struct Timing(Option<std::cell::Cell<std::time::Instant>>);

impl Timing {
    pub(crate) fn start() -> Timing {
        Timing(
            std::env::var_os("VITAL_LSP_TIMING")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        )
    }

    pub(crate) fn lap(&self, what: &str) {
        if let Some(t) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!(
                "vital lsp timing: {what}: {:.1} ms",
                (now - t.get()).as_secs_f64() * 1000.0
            );
            t.set(now);
        }
    }
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub text: String,
    pub version: i32,
}

/// The last parse of a file, with the text it was made from.
#[derive(Debug)]
struct CachedParse {
    text: String,
    parsed: ParsedFile,
}

pub struct State {
    pub encoding: Encoding,
    pub folders: Vec<PathBuf>,
    pub docs: HashMap<PathBuf, Doc>,
    /// Checked rule sets by root.
    cache: HashMap<PathBuf, Arc<Analysis>>,
    /// The last parse of each file, by path and place in its rule set: files
    /// whose text did not change keep their parse.
    parses: HashMap<(PathBuf, FileId), CachedParse>,
    /// Tests run from a lens (by rule-set root and name), with the verdict
    /// of the latest analysis they were run on.
    runs: HashMap<(PathBuf, String), Option<Verdict>>,
    generation: u64,
    /// The latest evaluation of each rule set (by root) on its sample; its
    /// lenses, hovers and warnings show only while its analysis is current.
    samples: HashMap<PathBuf, Arc<sample::Evaluation>>,
    /// Parse every file whole after an edit (`VITAL_LSP_REPARSE_ALL`).
    reparse_all: bool,
}

fn has_vital_files(dir: &Path, docs: &HashMap<PathBuf, Doc>) -> bool {
    if docs.keys().any(|p| p.parent() == Some(dir)) {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "vital") && e.path().is_file())
    })
}

impl State {
    pub fn new() -> State {
        State {
            encoding: Encoding::Utf16,
            folders: Vec::new(),
            docs: HashMap::new(),
            cache: HashMap::new(),
            parses: HashMap::new(),
            runs: HashMap::new(),
            generation: 0,
            samples: HashMap::new(),
            reparse_all: std::env::var_os("VITAL_LSP_REPARSE_ALL").is_some(),
        }
    }

    // ------------------------------------------------------------------ rule sets

    /// The root of the rule set `path` belongs to.
    pub fn root_of(&self, path: &Path) -> PathBuf {
        let mut root = path
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        // outside every workspace folder, a file's rule set is its directory
        let Some(ceiling) = self
            .folders
            .iter()
            .filter(|f| path.starts_with(f))
            .max_by_key(|f| f.as_os_str().len())
        else {
            return root;
        };
        while let Some(parent) = root.parent() {
            if root == *ceiling
                || !parent.starts_with(ceiling)
                || !has_vital_files(parent, &self.docs)
            {
                break;
            }
            root = parent.to_path_buf();
        }
        root
    }

    pub fn invalidate(&mut self, path: &Path) {
        let root = self.root_of(path);
        self.cache.remove(&root);
        // a file may move a root (a new file in a parent directory)
        self.cache
            .retain(|r, _| !path.starts_with(r) && !r.starts_with(path.parent().unwrap_or(path)));
    }

    pub fn invalidate_all(&mut self) {
        self.cache.clear();
    }

    /// The checked rule set `path` belongs to.
    pub fn analysis(&mut self, path: &Path) -> Arc<Analysis> {
        let root = self.root_of(path);
        self.analysis_at(&root, Some(path))
    }

    /// The checked rule set rooted at the directory `root`.
    pub fn rule_set(&mut self, root: &Path) -> Arc<Analysis> {
        self.analysis_at(root, None)
    }

    fn analysis_at(&mut self, root: &Path, wanted: Option<&Path>) -> Arc<Analysis> {
        if let Some(a) = self.cache.get(root) {
            if wanted.is_none_or(|w| a.file_of(w).is_some()) {
                return a.clone();
            }
        }
        let a = Arc::new(self.analyze(root, wanted));
        self.cache.insert(root.to_path_buf(), a.clone());
        a
    }

    fn analyze(&mut self, root: &Path, wanted: Option<&Path>) -> Analysis {
        let timing = Timing::start();
        let mut extra: Vec<PathBuf> = self
            .docs
            .keys()
            .filter(|p| p.starts_with(root) && p.extension().is_some_and(|x| x == "vital"))
            .cloned()
            .collect();
        if let Some(w) = wanted {
            if !extra.iter().any(|p| p == w) {
                extra.push(w.to_path_buf());
            }
        }
        let (paths, problem) = load::rule_set(root, &extra);
        let docs = &self.docs;
        timing.lap("rule set");
        let loaded = load::load_with(
            &paths,
            |p| load::relative(root, p),
            |p| docs.get(p).map(|d| d.text.clone()),
        );
        // files whose text did not change keep their parse
        let parsed: Vec<ParsedFile> = loaded
            .sources
            .files()
            .map(|(id, f)| {
                let key = (loaded.paths[id.index()].clone(), id);
                match self.parses.get(&key) {
                    Some(c) if c.text == f.text => c.parsed.clone(),
                    cached => {
                        // the items the edit did not touch keep their parse
                        // (`VITAL_LSP_REPARSE_ALL` turns that off, to measure
                        // what it saves)
                        let cached = cached.filter(|_| !self.reparse_all);
                        let parsed = vital_syntax::parse_reusing(
                            id,
                            &f.text,
                            cached.map(|c| (c.text.as_str(), &c.parsed)),
                        );
                        self.parses.insert(
                            key,
                            CachedParse {
                                text: f.text.clone(),
                                parsed: parsed.clone(),
                            },
                        );
                        parsed
                    }
                }
            })
            .collect();
        // parses of files that left this rule set go
        self.parses
            .retain(|(p, id), _| !p.starts_with(root) || loaded.paths.get(id.index()) == Some(p));
        timing.lap("load + parse");
        let checked = vital_check::check_parsed(parsed);
        timing.lap("check");
        let mut io = loaded.diagnostics;
        if let Some(e) = problem {
            // a directory of the set that cannot be read: said on the file
            // being edited (or the first)
            let f = wanted
                .and_then(|w| loaded.paths.iter().position(|p| p == w))
                .unwrap_or(0);
            if f < loaded.paths.len() {
                io.push(vital_syntax::Diagnostic::new(
                    vital_syntax::Code::Io,
                    FileId(f as u32),
                    Span::new(0, 0),
                    e.to_string(),
                ));
            }
        }
        self.generation += 1;
        Analysis {
            root: root.to_path_buf(),
            paths: loaded.paths,
            sources: loaded.sources,
            checked,
            io,
            generation: self.generation,
        }
    }

    // ------------------------------------------------------------------ documents

    pub fn open(&mut self, path: PathBuf, text: String, version: i32) {
        self.docs.insert(path.clone(), Doc { text, version });
        self.invalidate(&path);
    }

    /// Apply edits in order (incremental sync).
    pub fn change(
        &mut self,
        path: &Path,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        let enc = self.encoding;
        let Some(doc) = self.docs.get_mut(path) else {
            return;
        };
        for ch in changes {
            match ch.range {
                Some(r) => {
                    let a = convert::offset(&doc.text, r.start, enc);
                    let b = convert::offset(&doc.text, r.end, enc).max(a);
                    doc.text.replace_range(a..b, &ch.text);
                }
                None => doc.text = ch.text,
            }
        }
        doc.version = version;
        self.invalidate(path);
    }

    pub fn close(&mut self, path: &Path) {
        self.docs.remove(path);
        self.invalidate(path);
    }

    /// The rule set, file and byte offset of a position in a document.
    fn at(&mut self, uri: &Uri, pos: Position) -> Option<(Arc<Analysis>, FileId, usize)> {
        let (a, f) = self.file(uri)?;
        let off = a.offset(f, pos, self.encoding);
        Some((a, f, off))
    }

    /// The rule set and file of a document.
    fn file(&mut self, uri: &Uri) -> Option<(Arc<Analysis>, FileId)> {
        let path = path_of(uri)?;
        let a = self.analysis(&path);
        let f = a.file_of(&path)?;
        Some((a, f))
    }

    // ------------------------------------------------------------------ features

    /// Diagnostics for every file of the rule set `path` belongs to, with
    /// the version of each open document they were computed for.
    pub fn diagnostics(&mut self, path: &Path) -> Vec<(Uri, Option<i32>, Vec<Diagnostic>)> {
        let a = self.analysis(path);
        let timing = Timing::start();
        let extra = self
            .evaluation(&a)
            .map(|e| e.warnings.clone())
            .unwrap_or_default();
        let out = diagnostics::per_file(&a, &extra, self.encoding);
        timing.lap("LSP diagnostics");
        out.into_iter()
            .filter_map(|(p, ds)| {
                Some((
                    convert::uri_of(&p)?,
                    self.docs.get(&p).map(|d| d.version),
                    ds,
                ))
            })
            .collect()
    }

    pub fn definition(&mut self, uri: &Uri, pos: Position) -> Option<Location> {
        let (a, f, off) = self.at(uri, pos)?;
        navigation::definition(&a, f, off, self.encoding)
    }

    pub fn references(&mut self, uri: &Uri, pos: Position, include_decl: bool) -> Vec<Location> {
        let enc = self.encoding;
        self.at(uri, pos).map_or_else(Vec::new, |(a, f, off)| {
            navigation::references(&a, f, off, include_decl, enc)
        })
    }

    pub fn highlight(&mut self, uri: &Uri, pos: Position) -> Vec<DocumentHighlight> {
        let enc = self.encoding;
        self.at(uri, pos).map_or_else(Vec::new, |(a, f, off)| {
            navigation::highlight(&a, f, off, enc)
        })
    }

    pub fn prepare_rename(
        &mut self,
        uri: &Uri,
        pos: Position,
    ) -> Result<Option<PrepareRenameResponse>, String> {
        let enc = self.encoding;
        match self.at(uri, pos) {
            Some((a, f, off)) => navigation::prepare_rename(&a, f, off, enc),
            None => Ok(None),
        }
    }

    pub fn rename(
        &mut self,
        uri: &Uri,
        pos: Position,
        new_name: &str,
    ) -> Result<Option<WorkspaceEdit>, String> {
        let enc = self.encoding;
        match self.at(uri, pos) {
            Some((a, f, off)) => navigation::rename(&a, f, off, new_name, enc).map(Some),
            None => Ok(None),
        }
    }

    /// A name's declaration (and so on), and what the sample says about
    /// the place: a signal's distribution, how many accounts take a band arm.
    pub fn hover(&mut self, uri: &Uri, pos: Position) -> Option<Hover> {
        let (a, f, off) = self.at(uri, pos)?;
        let base = hover::hover(&a, f, off, self.encoding);
        let extra = self
            .evaluation(&a)
            .and_then(|e| sample::hover(&a, f, off, &e.data, &e.coverage));
        match (base, extra) {
            (base, None) => base,
            (Some(mut h), Some((md, _))) => {
                if let HoverContents::Markup(m) = &mut h.contents {
                    m.value.push_str("\n\n---\n\n");
                    m.value.push_str(&md);
                }
                Some(h)
            }
            (None, Some((md, span))) => Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: md,
                }),
                range: Some(a.range(f, span, self.encoding)),
            }),
        }
    }

    pub fn signature_help(&mut self, uri: &Uri, pos: Position) -> Option<SignatureHelp> {
        let (a, f, off) = self.at(uri, pos)?;
        hover::signature_help(&a, f, off)
    }

    pub fn completion(&mut self, uri: &Uri, pos: Position) -> Vec<CompletionItem> {
        self.at(uri, pos)
            .map_or_else(Vec::new, |(a, f, off)| complete::complete(&a, f, off))
    }

    pub fn document_symbols(&mut self, uri: &Uri) -> Vec<DocumentSymbol> {
        let enc = self.encoding;
        self.file(uri)
            .map_or_else(Vec::new, |(a, f)| symbols::document(&a, f, enc))
    }

    /// Declarations matching `query` in every rule set of the workspace
    /// folders and open documents.
    pub fn workspace_symbols(&mut self, query: &str) -> Vec<WorkspaceSymbol> {
        let mut files: Vec<PathBuf> = self.docs.keys().cloned().collect();
        for folder in &self.folders {
            for e in walkdir::WalkDir::new(folder).into_iter().flatten() {
                if e.path().extension().is_some_and(|x| x == "vital") {
                    files.push(e.path().to_path_buf());
                }
            }
        }
        files.sort();
        files.dedup();
        let mut out = Vec::new();
        let mut seen_roots = Vec::new();
        for p in files {
            let root = self.root_of(&p);
            if seen_roots.contains(&root) {
                continue;
            }
            let a = self.analysis(&p);
            seen_roots.push(root);
            out.extend(symbols::workspace(&a, query, self.encoding));
        }
        out
    }

    pub fn format(&mut self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let path = path_of(uri)?;
        let text = match self.docs.get(&path) {
            Some(d) => d.text.clone(),
            None => load::decode(std::fs::read(&path).ok()?).ok()?.0,
        };
        actions::format(&text, self.encoding)
    }

    /// The declarations `range` touches, formatted (`textDocument/rangeFormatting`).
    pub fn format_range(&mut self, uri: &Uri, range: Range) -> Option<Vec<TextEdit>> {
        let path = path_of(uri)?;
        let text = match self.docs.get(&path) {
            Some(d) => d.text.clone(),
            None => load::decode(std::fs::read(&path).ok()?).ok()?.0,
        };
        Some(actions::format_range(&text, range, self.encoding))
    }

    pub fn code_actions(&mut self, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
        let enc = self.encoding;
        self.file(uri)
            .map_or_else(Vec::new, |(a, f)| actions::quick_fixes(&a, f, range, enc))
    }

    pub fn semantic_tokens(&mut self, uri: &Uri) -> Vec<SemanticToken> {
        let enc = self.encoding;
        self.file(uri)
            .map_or_else(Vec::new, |(a, f)| decorations::semantic_tokens(&a, f, enc))
    }

    pub fn inlay_hints(&mut self, uri: &Uri) -> Vec<InlayHint> {
        let enc = self.encoding;
        self.file(uri)
            .map_or_else(Vec::new, |(a, f)| decorations::inlay_hints(&a, f, enc))
    }

    /// "Run test" above each `test` block. A test run from a lens shows its
    /// verdict on the rule set as it is now: when the rule set changed
    /// since, the test runs again (in process) before the lens is drawn.
    pub fn code_lenses(&mut self, uri: &Uri) -> Vec<CodeLens> {
        let enc = self.encoding;
        let Some((a, f)) = self.file(uri) else {
            return Vec::new();
        };
        let mut verdicts = HashMap::new();
        for name in decorations::test_names(&a, f) {
            let key = (a.root.clone(), name.clone());
            let Some(last) = self.runs.get(&key) else {
                continue;
            };
            let verdict = match last {
                Some(v) if v.generation == a.generation => v.clone(),
                _ => testing::run(&a, &name),
            };
            self.runs.insert(key, Some(verdict.clone()));
            verdicts.insert(name, verdict.passed);
        }
        let mut out = decorations::code_lenses(&a, f, &verdicts, enc);
        if let Some(e) = self.evaluation(&a) {
            out.extend(sample::lenses(&a, f, &e.coverage, &a.checked.rules, enc));
            out.sort_by_key(|l| (l.range.start.line, l.range.start.character));
        }
        out
    }

    // ------------------------------------------------------------------ sample

    /// The evaluation on the sample of exactly this analysis, if there is one.
    pub fn evaluation(&self, a: &Analysis) -> Option<Arc<sample::Evaluation>> {
        self.samples
            .get(&a.root)
            .filter(|e| e.generation == a.generation)
            .cloned()
    }

    /// The latest evaluation of the rule set rooted at `root`, current or not.
    pub fn latest_evaluation(&self, root: &Path) -> Option<Arc<sample::Evaluation>> {
        self.samples.get(root).cloned()
    }

    /// What the background evaluation of the rule set of `path` needs: its
    /// analysis and the sample read last time.
    pub fn sample_job(&mut self, path: &Path) -> (Arc<Analysis>, Option<Arc<sample::Data>>) {
        let a = self.analysis(path);
        let cached = self.samples.get(&a.root).map(|e| e.data.clone());
        (a, cached)
    }

    /// Keep an evaluation on the sample, for the rule set it was made for.
    pub fn store_evaluation(&mut self, root: &Path, e: Arc<sample::Evaluation>) {
        self.samples.insert(root.to_path_buf(), e);
    }

    /// Run the sample evaluation of the rule set rooted at `root` in the
    /// calling thread and keep it (commands, tests, benches).
    pub fn evaluate_sample(&mut self, root: &Path) -> sample::Done {
        let a = self.rule_set(root);
        let cached = self.samples.get(&a.root).map(|e| e.data.clone());
        let done = sample::run(&a, cached, &|| false);
        if let sample::Done::Evaluated(e) = &done {
            self.store_evaluation(&a.root, e.clone());
        }
        done
    }

    /// Run the test `name` of the rule set rooted at `root` on its current
    /// state (open documents included) and keep the verdict for the lens.
    pub fn run_test(&mut self, root: &Path, name: &str) -> Verdict {
        let a = self.rule_set(root);
        let verdict = testing::run(&a, name);
        self.record(root, name, verdict.clone());
        verdict
    }

    /// Keep a verdict for the lens of a test.
    pub fn record(&mut self, root: &Path, name: &str, verdict: Verdict) {
        self.runs
            .insert((root.to_path_buf(), name.to_string()), Some(verdict));
    }

    /// Whether any test of the rule set rooted at `root` was run from a lens
    /// (its lens then follows edits).
    pub fn has_runs(&self, root: &Path) -> bool {
        self.runs.keys().any(|(r, _)| r == root)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}
