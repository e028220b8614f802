//! The workspace model and every feature, as plain functions from LSP
//! parameters to LSP results. No I/O with the client happens here, so tests
//! drive it in process; `server.rs` wires it to tower-lsp-server.
//!
//! Rule sets: a file belongs to the rule set rooted at the highest directory
//! of an unbroken chain of ancestors that hold `.vital` files (a file in
//! `rules/scores/` joins `rules/` when `rules/` has `.vital` files too), never
//! above its workspace folder; a file outside every workspace folder forms a
//! rule set with its own directory. Every `.vital` file under that root is read from
//! disk; open documents overlay the disk.

use crate::convert::{self, Encoding};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_lsp_server::ls_types::*;
use vital_check::ir::Type;
use vital_check::{Checked, Symbol};
use vital_syntax::lexer::{Token, TokenKind};
use vital_syntax::{FileId, SourceFile, SourceMap, Span};

#[derive(Debug, Clone)]
pub struct Doc {
    pub text: String,
    pub version: i32,
}

/// One checked rule set.
#[derive(Debug)]
pub struct Analysis {
    pub root: PathBuf,
    pub paths: Vec<PathBuf>,
    pub sources: SourceMap,
    pub checked: Checked,
    /// Problems reading files (not UTF-8 …), as diagnostics.
    pub io: Vec<vital_syntax::Diagnostic>,
}

impl Analysis {
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p == path)
            .map(|i| FileId(i as u32))
    }

    fn text(&self, f: FileId) -> &str {
        &self.sources.file(f).text
    }
}

pub struct State {
    pub encoding: Encoding,
    pub folders: Vec<PathBuf>,
    pub docs: HashMap<PathBuf, Doc>,
    cache: HashMap<PathBuf, Arc<Analysis>>,
    /// The last parse of each file (by path and place in its rule set),
    /// with the text it was made from.
    parses: std::sync::Mutex<HashMap<(PathBuf, FileId), (String, vital_syntax::ParsedFile)>>,
}

pub const TOKEN_TYPES: &[&str] = &[
    "keyword",
    "string",
    "number",
    "comment",
    "operator",
    "type",
    "signal",
    "event",
    "score",
    "const",
    "enumMember",
    "statusArm",
    "function",
    "property",
];

fn token_type(name: &str) -> u32 {
    TOKEN_TYPES.iter().position(|t| *t == name).unwrap_or(0) as u32
}

pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
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
            parses: std::sync::Mutex::new(HashMap::new()),
        }
    }

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
        if let Some(a) = self.cache.get(&root) {
            return a.clone();
        }
        let a = Arc::new(self.analyze(&root, path));
        self.cache.insert(root, a.clone());
        a
    }

    fn analyze(&self, root: &Path, wanted: &Path) -> Analysis {
        let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
        for e in walkdir::WalkDir::new(root).into_iter().flatten() {
            let p = e.path();
            if e.file_type().is_file() && p.extension().is_some_and(|x| x == "vital") {
                let rel = p.strip_prefix(root).map_or_else(
                    |_| p.display().to_string(),
                    |r| r.to_string_lossy().replace('\\', "/"),
                );
                found.insert(rel, p.to_path_buf());
            }
        }
        for p in self.docs.keys() {
            if p.starts_with(root) && p.extension().is_some_and(|x| x == "vital") {
                let rel = p.strip_prefix(root).map_or_else(
                    |_| p.display().to_string(),
                    |r| r.to_string_lossy().replace('\\', "/"),
                );
                found.insert(rel, p.clone());
            }
        }
        if !found.values().any(|p| p == wanted) {
            found.insert(wanted.display().to_string(), wanted.to_path_buf());
        }
        let mut sources = SourceMap::new();
        let mut paths = Vec::new();
        let mut io = Vec::new();
        for (rel, p) in found {
            let text = match self.docs.get(&p) {
                Some(d) => d.text.clone(),
                None => match std::fs::read(&p) {
                    Ok(bytes) => match String::from_utf8(bytes) {
                        Ok(t) => t,
                        Err(e) => {
                            io.push((paths.len(), format!("`{rel}` is not valid UTF-8; it is read with replacement characters")));
                            String::from_utf8_lossy(e.as_bytes()).into_owned()
                        }
                    },
                    Err(e) => {
                        io.push((paths.len(), format!("cannot read `{rel}`: {e}")));
                        String::new()
                    }
                },
            };
            sources.add(SourceFile::new(rel, text));
            paths.push(p);
        }
        // files whose text did not change keep their parse
        let parsed: Vec<vital_syntax::ParsedFile> = sources
            .files()
            .map(|(id, f)| {
                let key = (paths[id.index()].clone(), id);
                match self.parses.lock().ok().and_then(|c| {
                    c.get(&key)
                        .filter(|(t, _)| *t == f.text)
                        .map(|(_, p)| p.clone())
                }) {
                    Some(p) => p,
                    None => {
                        let p = vital_syntax::parse(id, &f.text);
                        if let Ok(mut c) = self.parses.lock() {
                            c.insert(key, (f.text.clone(), p.clone()));
                        }
                        p
                    }
                }
            })
            .collect();
        let checked = vital_check::check_parsed(parsed);
        let io = io
            .into_iter()
            .map(|(i, msg)| {
                vital_syntax::Diagnostic::new(
                    vital_syntax::Code::Io,
                    FileId(i as u32),
                    Span::new(0, 0),
                    msg,
                )
            })
            .collect();
        Analysis {
            root: root.to_path_buf(),
            paths,
            sources,
            checked,
            io,
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

    // ------------------------------------------------------------------ diagnostics

    /// Diagnostics for every file of the rule set `path` belongs to, with
    /// the version of each open document they were computed for.
    pub fn diagnostics(&mut self, path: &Path) -> Vec<(Uri, Option<i32>, Vec<Diagnostic>)> {
        let a = self.analysis(path);
        let enc = self.encoding;
        let mut per_file: Vec<Vec<Diagnostic>> = vec![Vec::new(); a.paths.len()];
        for d in a.checked.diagnostics.iter().chain(a.io.iter()) {
            let file = a.sources.file(d.file);
            let related: Vec<DiagnosticRelatedInformation> = d
                .related
                .iter()
                .filter_map(|r| {
                    let uri = uri_of(&a.paths[r.file.index()])?;
                    Some(DiagnosticRelatedInformation {
                        location: Location::new(
                            uri,
                            convert::range_in(a.sources.file(r.file), r.span, enc),
                        ),
                        message: r.message.clone(),
                    })
                })
                .collect();
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message.push_str(&format!("\nhelp: {h}"));
            }
            per_file[d.file.index()].push(Diagnostic {
                range: convert::range_in(file, d.span, enc),
                severity: Some(match d.severity {
                    vital_syntax::Severity::Error => DiagnosticSeverity::ERROR,
                    vital_syntax::Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.qualified())),
                source: Some("vital".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                tags: matches!(
                    d.code,
                    vital_syntax::Code::UnusedSignal
                        | vital_syntax::Code::UnusedEvent
                        | vital_syntax::Code::UnusedConst
                )
                .then(|| vec![DiagnosticTag::UNNECESSARY]),
                ..Default::default()
            });
        }
        a.paths
            .iter()
            .zip(per_file)
            .filter_map(|(p, ds)| Some((uri_of(p)?, self.docs.get(p).map(|d| d.version), ds)))
            .collect()
    }

    // ------------------------------------------------------------------ navigation

    fn at(&mut self, uri: &Uri, pos: Position) -> Option<(Arc<Analysis>, FileId, usize)> {
        let path = path_of(uri)?;
        let a = self.analysis(&path);
        let f = a.file_of(&path)?;
        let off = convert::offset_in(a.sources.file(f), pos, self.encoding);
        Some((a, f, off))
    }

    fn location(&self, a: &Analysis, f: FileId, span: Span) -> Option<Location> {
        Some(Location::new(
            uri_of(&a.paths[f.index()])?,
            convert::range_in(a.sources.file(f), span, self.encoding),
        ))
    }

    /// The name under the cursor, resolved.
    fn occurrence_at(
        &mut self,
        uri: &Uri,
        pos: Position,
    ) -> Option<(Arc<Analysis>, FileId, vital_check::Occurrence)> {
        let (a, f, off) = self.at(uri, pos)?;
        let occ = *a.checked.index.at(f, off)?;
        Some((a, f, occ))
    }

    pub fn definition(&mut self, uri: &Uri, pos: Position) -> Option<Location> {
        let (a, f, off) = self.at(uri, pos)?;
        let occ = a.checked.index.at(f, off)?;
        let decl = a.checked.index.declaration(occ.symbol)?;
        self.location(&a, decl.file, decl.span)
    }

    pub fn references(&mut self, uri: &Uri, pos: Position, include_decl: bool) -> Vec<Location> {
        let Some((a, _, occ)) = self.occurrence_at(uri, pos) else {
            return Vec::new();
        };
        a.checked
            .index
            .references(occ.symbol)
            .filter(|o| include_decl || !o.decl)
            .filter_map(|o| self.location(&a, o.file, o.span))
            .collect()
    }

    pub fn highlight(&mut self, uri: &Uri, pos: Position) -> Vec<DocumentHighlight> {
        let Some((a, f, occ)) = self.occurrence_at(uri, pos) else {
            return Vec::new();
        };
        a.checked
            .index
            .references(occ.symbol)
            .filter(|o| o.file == f)
            .map(|o| DocumentHighlight {
                range: convert::range_in(a.sources.file(f), o.span, self.encoding),
                kind: Some(if o.decl {
                    DocumentHighlightKind::WRITE
                } else {
                    DocumentHighlightKind::READ
                }),
            })
            .collect()
    }

    // ------------------------------------------------------------------ hover

    pub fn hover(&mut self, uri: &Uri, pos: Position) -> Option<Hover> {
        let (a, f, off) = self.at(uri, pos)?;
        let text = a.text(f);
        let file = a.sources.file(f);
        let (md, span) = match a.checked.index.at(f, off) {
            Some(occ) => (describe(&a, occ.symbol), occ.span),
            None => {
                // a function name
                let tok = token_at(&a.checked.parsed[f.index()].tokens, off)?;
                let name = &text[tok.span.start..tok.span.end];
                let (_, sig, doc) = vital_check::FUNCTIONS.iter().find(|x| x.0 == name)?;
                (format!("```vital\n{sig}\n```\n{doc}"), tok.span)
            }
        };
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: md,
            }),
            range: Some(convert::range_in(file, span, self.encoding)),
        })
    }

    // ------------------------------------------------------------------ rename

    pub fn prepare_rename(
        &mut self,
        uri: &Uri,
        pos: Position,
    ) -> Result<Option<PrepareRenameResponse>, String> {
        let Some((a, f, off)) = self.at(uri, pos) else {
            return Ok(None);
        };
        match a.checked.index.at(f, off) {
            Some(occ) => Ok(Some(PrepareRenameResponse::Range(convert::range_in(
                a.sources.file(f),
                occ.span,
                self.encoding,
            )))),
            None => {
                let tok = token_at(&a.checked.parsed[f.index()].tokens, off);
                match tok {
                    Some(t) if t.kind.is_keyword() => Err(format!(
                        "`{}` is a keyword and cannot be renamed",
                        &a.text(f)[t.span.start..t.span.end]
                    )),
                    _ => Err("there is no name to rename here".into()),
                }
            }
        }
    }

    pub fn rename(
        &mut self,
        uri: &Uri,
        pos: Position,
        new_name: &str,
    ) -> Result<Option<WorkspaceEdit>, String> {
        let Some((a, f, off)) = self.at(uri, pos) else {
            return Ok(None);
        };
        let Some(occ) = a.checked.index.at(f, off).copied() else {
            return Err("there is no name to rename here".into());
        };
        let valid = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        let toks = vital_syntax::lexer::tokenize(new_name);
        if !valid || toks.len() != 1 || toks[0].kind != TokenKind::Ident {
            return Err(format!(
                "`{new_name}` is not a valid name (letters, digits, `_`; not a keyword)"
            ));
        }
        let r = &a.checked.rules;
        let clash = match occ.symbol {
            Symbol::Signal(_) | Symbol::Event(_) | Symbol::Const(_) | Symbol::Score(_) => {
                r.signals.iter().any(|s| s.name == new_name)
                    || r.events.iter().any(|s| s.name == new_name)
                    || r.consts.iter().any(|s| s.name == new_name)
                    || r.scores.iter().any(|s| s.name == new_name)
            }
            Symbol::Field(e, _) => r
                .events
                .get(e as usize)
                .is_some_and(|e| e.fields.iter().any(|f| f.name == new_name)),
            Symbol::Variant(e, _) => r
                .enums
                .get(e as usize)
                .is_some_and(|e| e.variants.iter().any(|v| v == new_name)),
            Symbol::StatusArm(_) => r.status.iter().any(|s| s.name == new_name),
        };
        if clash {
            return Err(format!(
                "`{new_name}` is already declared; renaming would make two things one"
            ));
        }
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for o in a.checked.index.references(occ.symbol) {
            if let Some(u) = uri_of(&a.paths[o.file.index()]) {
                changes.entry(u).or_default().push(TextEdit {
                    range: convert::range_in(a.sources.file(o.file), o.span, self.encoding),
                    new_text: new_name.to_string(),
                });
            }
        }
        Ok(Some(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }))
    }

    // ------------------------------------------------------------------ symbols

    pub fn document_symbols(&mut self, uri: &Uri) -> Vec<DocumentSymbol> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let a = self.analysis(&path);
        let Some(f) = a.file_of(&path) else {
            return Vec::new();
        };
        let file = a.sources.file(f);
        let enc = self.encoding;
        let rg = |s: Span| convert::range_in(file, s, enc);
        #[allow(deprecated)]
        let sym = |name: String,
                   detail: Option<String>,
                   kind: SymbolKind,
                   span: Span,
                   sel: Span,
                   children: Vec<DocumentSymbol>| DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: rg(span),
            selection_range: rg(sel),
            children: (!children.is_empty()).then_some(children),
        };
        use vital_syntax::ast::{Action, ItemKind};
        let mut out = Vec::new();
        for item in &a.checked.parsed[f.index()].file.items {
            let s = match &item.kind {
                ItemKind::Signal(d) => sym(
                    d.name.name.clone(),
                    Some(format!("signal: {}", d.ty.kind.keyword())),
                    SymbolKind::VARIABLE,
                    item.span,
                    d.name.span,
                    vec![],
                ),
                ItemKind::Event(d) => {
                    let fields = d
                        .fields
                        .iter()
                        .flatten()
                        .map(|fd| {
                            sym(
                                fd.name.name.clone(),
                                Some(fd.ty.kind.keyword().into()),
                                SymbolKind::FIELD,
                                fd.span,
                                fd.name.span,
                                vec![],
                            )
                        })
                        .collect();
                    sym(
                        d.name.name.clone(),
                        Some("event".into()),
                        SymbolKind::EVENT,
                        item.span,
                        d.name.span,
                        fields,
                    )
                }
                ItemKind::Const(d) => sym(
                    d.name.name.clone(),
                    Some("const".into()),
                    SymbolKind::CONSTANT,
                    item.span,
                    d.name.span,
                    vec![],
                ),
                ItemKind::Score(d) => sym(
                    d.name.name.clone(),
                    Some(format!("score, weight {}", d.weight.text)),
                    SymbolKind::PROPERTY,
                    item.span,
                    d.name.span,
                    vec![],
                ),
                ItemKind::Status(d) => {
                    let arms = d
                        .arms
                        .iter()
                        .map(|arm| {
                            sym(
                                arm.name.name.clone(),
                                Some("status".into()),
                                SymbolKind::ENUM_MEMBER,
                                arm.span,
                                arm.name.span,
                                vec![],
                            )
                        })
                        .collect();
                    sym(
                        "status".into(),
                        None,
                        SymbolKind::ENUM,
                        item.span,
                        d.keyword,
                        arms,
                    )
                }
                ItemKind::Rule(r) => {
                    let what = match &r.action {
                        Action::Add { score, .. } => format!("add to {}", score.name),
                        Action::Subtract { score, .. } => format!("subtract from {}", score.name),
                        Action::Trigger { playbook } => format!("trigger {}", playbook.raw),
                    };
                    let name = r
                        .name
                        .as_ref()
                        .map_or_else(|| what.clone(), |n| n.value.clone());
                    let sel = r.name.as_ref().map_or(r.action_span, |n| n.span);
                    sym(
                        name,
                        Some(what),
                        SymbolKind::FUNCTION,
                        item.span,
                        sel,
                        vec![],
                    )
                }
                ItemKind::Test(t) => sym(
                    t.name.value.clone(),
                    Some("test".into()),
                    SymbolKind::METHOD,
                    item.span,
                    t.name.span,
                    vec![],
                ),
            };
            out.push(s);
        }
        out
    }

    pub fn workspace_symbols(&mut self, query: &str) -> Vec<WorkspaceSymbol> {
        let mut files: Vec<PathBuf> = self.docs.keys().cloned().collect();
        for folder in self.folders.clone() {
            for e in walkdir::WalkDir::new(&folder).into_iter().flatten() {
                if e.path().extension().is_some_and(|x| x == "vital") {
                    files.push(e.path().to_path_buf());
                }
            }
        }
        files.sort();
        files.dedup();
        let q = query.to_lowercase();
        let mut out = Vec::new();
        let mut seen_roots = Vec::new();
        for p in files {
            let a = self.analysis(&p);
            if seen_roots.contains(&a.root) {
                continue;
            }
            seen_roots.push(a.root.clone());
            for o in a.checked.index.occurrences.iter().filter(|o| o.decl) {
                let name = &a.text(o.file)[o.span.start..o.span.end];
                if !name.to_lowercase().contains(&q) {
                    continue;
                }
                let kind = match o.symbol {
                    Symbol::Signal(_) => SymbolKind::VARIABLE,
                    Symbol::Event(_) => SymbolKind::EVENT,
                    Symbol::Field(..) => SymbolKind::FIELD,
                    Symbol::Const(_) => SymbolKind::CONSTANT,
                    Symbol::Score(_) => SymbolKind::PROPERTY,
                    Symbol::Variant(..) | Symbol::StatusArm(_) => SymbolKind::ENUM_MEMBER,
                };
                if let Some(loc) = self.location(&a, o.file, o.span) {
                    out.push(WorkspaceSymbol {
                        name: name.to_string(),
                        kind,
                        tags: None,
                        container_name: Some(a.sources.file(o.file).path.clone()),
                        location: OneOf::Left(loc),
                        data: None,
                    });
                }
            }
        }
        out
    }

    // ------------------------------------------------------------------ formatting

    pub fn format(&mut self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let path = path_of(uri)?;
        let text = match self.docs.get(&path) {
            Some(d) => d.text.clone(),
            None => std::fs::read_to_string(&path).ok()?,
        };
        let formatted = vital_syntax::format::format_source(FileId(0), &text).ok()?;
        if formatted == text {
            return Some(Vec::new());
        }
        let end = convert::position(&text, text.len(), self.encoding);
        Some(vec![TextEdit {
            range: Range::new(Position::new(0, 0), end),
            new_text: formatted,
        }])
    }

    // ------------------------------------------------------------------ semantic tokens

    pub fn semantic_tokens(&mut self, uri: &Uri) -> Vec<SemanticToken> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let a = self.analysis(&path);
        let Some(f) = a.file_of(&path) else {
            return Vec::new();
        };
        let text = a.text(f);
        let file = a.sources.file(f);
        let tokens = &a.checked.parsed[f.index()].tokens;
        let kinds: HashMap<usize, &'static str> = a
            .checked
            .index
            .occurrences
            .iter()
            .filter(|o| o.file == f)
            .map(|o| {
                (
                    o.span.start,
                    match o.symbol {
                        Symbol::Signal(_) => "signal",
                        Symbol::Event(_) => "event",
                        Symbol::Field(..) => "property",
                        Symbol::Const(_) => "const",
                        Symbol::Score(_) => "score",
                        Symbol::Variant(..) => "enumMember",
                        Symbol::StatusArm(_) => "statusArm",
                    },
                )
            })
            .collect();
        let mut out = Vec::new();
        let (mut last_line, mut last_col) = (0u32, 0u32);
        for (i, t) in tokens.iter().enumerate() {
            let ty = match t.kind {
                TokenKind::Comment => Some("comment"),
                TokenKind::String | TokenKind::UnterminatedString => Some("string"),
                TokenKind::Number | TokenKind::Percent | TokenKind::Date => Some("number"),
                TokenKind::TypeName => Some("type"),
                TokenKind::Compare | TokenKind::Arith | TokenKind::Coalesce | TokenKind::Arrow => {
                    Some("operator")
                }
                TokenKind::Ident => kinds.get(&t.span.start).copied().or_else(|| {
                    let name = &text[t.span.start..t.span.end];
                    (tokens
                        .get(i + 1)
                        .is_some_and(|n| n.kind == TokenKind::LParen)
                        && vital_check::FUNCTIONS.iter().any(|x| x.0 == name))
                    .then_some("function")
                }),
                k if k.is_keyword() => Some("keyword"),
                _ => None,
            };
            let Some(ty) = ty else { continue };
            // one token per line (comments and strings never span lines)
            let start = convert::position_in(file, t.span.start, self.encoding);
            let end = convert::position_in(file, t.span.end, self.encoding);
            let length = if end.line == start.line {
                end.character - start.character
            } else {
                continue;
            };
            let delta_line = start.line - last_line;
            let delta_start = if delta_line == 0 {
                start.character - last_col
            } else {
                start.character
            };
            out.push(SemanticToken {
                delta_line,
                delta_start,
                length,
                token_type: token_type(ty),
                token_modifiers_bitset: 0,
            });
            last_line = start.line;
            last_col = start.character;
        }
        out
    }

    // ------------------------------------------------------------------ code actions

    pub fn code_actions(&mut self, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let a = self.analysis(&path);
        let Some(f) = a.file_of(&path) else {
            return Vec::new();
        };
        let file = a.sources.file(f);
        let lo = convert::offset_in(file, range.start, self.encoding);
        let hi = convert::offset_in(file, range.end, self.encoding);
        let mut out = Vec::new();
        for d in a.checked.diagnostics.iter().filter(|d| d.file == f) {
            if d.span.end < lo || d.span.start > hi {
                continue;
            }
            for fix in &d.fixes {
                let Some(u) = uri_of(&a.paths[fix.file.index()]) else {
                    continue;
                };
                let edit = TextEdit {
                    range: convert::range_in(a.sources.file(fix.file), fix.span, self.encoding),
                    new_text: fix.replacement.clone(),
                };
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![Diagnostic {
                        range: convert::range_in(file, d.span, self.encoding),
                        message: d.message.clone(),
                        code: Some(NumberOrString::String(d.code.qualified())),
                        ..Default::default()
                    }]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(HashMap::from([(u, vec![edit])])),
                        ..Default::default()
                    }),
                    is_preferred: Some(true),
                    ..Default::default()
                }));
            }
        }
        out
    }

    // ------------------------------------------------------------------ inlay hints, code lens

    /// After each score's weight: its share of health (`= 35%`).
    pub fn inlay_hints(&mut self, uri: &Uri) -> Vec<InlayHint> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let a = self.analysis(&path);
        let Some(f) = a.file_of(&path) else {
            return Vec::new();
        };
        let total: f64 = a
            .checked
            .rules
            .scores
            .iter()
            .map(|s| vital_check::value::to_f64(s.weight))
            .sum();
        let mut out = Vec::new();
        for item in &a.checked.parsed[f.index()].file.items {
            let vital_syntax::ast::ItemKind::Score(s) = &item.kind else {
                continue;
            };
            let Some(w) = s.weight.value else { continue };
            if total <= 0.0 {
                continue;
            }
            let share = vital_check::value::to_f64(w) / total * 100.0;
            out.push(InlayHint {
                position: convert::position_in(a.sources.file(f), s.weight.span.end, self.encoding),
                label: InlayHintLabel::String(format!("= {share:.0}%")),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(format!(
                    "{}'s share of health: weight {} of {}",
                    s.name.name, s.weight.text, total
                ))),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            });
        }
        out
    }

    /// "Run test" above each `test` block, with the last result when known.
    pub fn code_lenses(
        &mut self,
        uri: &Uri,
        results: &HashMap<(PathBuf, String), bool>,
    ) -> Vec<CodeLens> {
        let Some(path) = path_of(uri) else {
            return Vec::new();
        };
        let a = self.analysis(&path);
        let Some(f) = a.file_of(&path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in &a.checked.parsed[f.index()].file.items {
            let vital_syntax::ast::ItemKind::Test(t) = &item.kind else {
                continue;
            };
            let status = match results.get(&(a.root.clone(), t.name.value.clone())) {
                Some(true) => " — passed",
                Some(false) => " — FAILED",
                None => "",
            };
            out.push(CodeLens {
                range: convert::range_in(a.sources.file(f), item.span, self.encoding),
                command: Some(Command {
                    title: format!("▶ run test{status}"),
                    command: "vital.runTest".into(),
                    arguments: Some(vec![
                        serde_json::Value::String(a.root.display().to_string()),
                        serde_json::Value::String(t.name.value.clone()),
                    ]),
                }),
                data: None,
            });
        }
        out
    }

    // ------------------------------------------------------------------ signature help

    pub fn signature_help(&mut self, uri: &Uri, pos: Position) -> Option<SignatureHelp> {
        let (a, f, off) = self.at(uri, pos)?;
        let text = a.text(f);
        let tokens = &a.checked.parsed[f.index()].tokens;
        let before: Vec<&Token> = tokens
            .iter()
            .filter(|t| t.span.end <= off && t.kind != TokenKind::Comment)
            .collect();
        let mut depth = 0i32;
        let mut commas = 0u32;
        for (i, t) in before.iter().enumerate().rev() {
            match t.kind {
                TokenKind::RParen => depth += 1,
                TokenKind::LParen if depth > 0 => depth -= 1,
                TokenKind::LParen => {
                    let name_tok = before.get(i.checked_sub(1)?)?;
                    let name = &text[name_tok.span.start..name_tok.span.end];
                    let (_, sig, doc) = vital_check::FUNCTIONS.iter().find(|x| x.0 == name)?;
                    let params: Vec<ParameterInformation> = sig
                        .split_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(inside, _)| {
                            inside
                                .split(", ")
                                .map(|p| ParameterInformation {
                                    label: ParameterLabel::Simple(p.to_string()),
                                    documentation: None,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    return Some(SignatureHelp {
                        signatures: vec![SignatureInformation {
                            label: sig.to_string(),
                            documentation: Some(Documentation::String(doc.to_string())),
                            parameters: Some(params),
                            active_parameter: Some(commas),
                        }],
                        active_signature: Some(0),
                        active_parameter: Some(commas),
                    });
                }
                TokenKind::Comma if depth == 0 => commas += 1,
                TokenKind::LBrace | TokenKind::RBrace => return None,
                _ => {}
            }
        }
        None
    }

    // ------------------------------------------------------------------ completion

    pub fn completion(&mut self, uri: &Uri, pos: Position) -> Vec<CompletionItem> {
        let Some((a, f, off)) = self.at(uri, pos) else {
            return Vec::new();
        };
        crate::complete::complete(&a, f, off)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// The token under (or just before) a cursor.
pub fn token_at(tokens: &[Token], off: usize) -> Option<&Token> {
    tokens
        .iter()
        .find(|t| t.span.touches(off) && t.kind != TokenKind::Comment)
}

/// Markdown for a symbol: its declaration, type, doc comment and more.
pub fn describe(a: &Analysis, sym: Symbol) -> String {
    let r = &a.checked.rules;
    let ty = |t: Type| r.type_name(t);
    let loc = |l: vital_check::ir::Loc| {
        let f = a.sources.file(l.file);
        format!("{}:{}", f.path, f.line_col(l.span.start).line)
    };
    let doc = |d: &Option<String>| d.as_ref().map_or(String::new(), |d| format!("\n\n{d}"));
    match sym {
        Symbol::Signal(i) => {
            let s = &r.signals[i as usize];
            format!(
                "```vital\nsignal {}: {}{}\n```\ndeclared at {}{}",
                s.name,
                ty(s.ty),
                if s.optional { "?" } else { "" },
                loc(s.loc),
                doc(&s.doc)
            )
        }
        Symbol::Event(i) => {
            let e = &r.events[i as usize];
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}{}",
                        f.name,
                        ty(f.ty),
                        if f.optional { "?" } else { "" }
                    )
                })
                .collect();
            let body = if fields.is_empty() {
                String::new()
            } else {
                format!(" {{ {} }}", fields.join(", "))
            };
            format!(
                "```vital\nevent {}{body}\n```\ndeclared at {}{}",
                e.name,
                loc(e.loc),
                doc(&e.doc)
            )
        }
        Symbol::Field(e, fi) => {
            let ev = &r.events[e as usize];
            let f = &ev.fields[fi as usize];
            format!(
                "```vital\n{}.{}: {}{}\n```\nfield of event `{}`",
                ev.name,
                f.name,
                ty(f.ty),
                if f.optional { "?" } else { "" },
                ev.name
            )
        }
        Symbol::Const(i) => {
            let c = &r.consts[i as usize];
            format!(
                "```vital\nconst {}: {} = {}\n```\ndeclared at {}{}",
                c.name,
                ty(c.ty),
                r.show_value(&c.value, c.ty),
                loc(c.loc),
                doc(&c.doc)
            )
        }
        Symbol::Score(i) => {
            let s = &r.scores[i as usize];
            let total: f64 = r
                .scores
                .iter()
                .map(|s| vital_check::value::to_f64(s.weight))
                .sum();
            let share = if total > 0.0 {
                vital_check::value::to_f64(s.weight) / total * 100.0
            } else {
                0.0
            };
            let base = match &s.base {
                None => "base 50 (the default)".to_string(),
                Some(_) => "base computed from its expression".to_string(),
            };
            let rules = r.adjustments.iter().filter(|x| x.score == i).count();
            format!(
                "```vital\nscore {} weight {}\n```\n{share:.0}% of health · {base} · {rules} adjustment rule{}\n\ndeclared at {}{}",
                s.name,
                s.weight.normalize(),
                if rules == 1 { "" } else { "s" },
                loc(s.loc),
                doc(&s.doc)
            )
        }
        Symbol::Variant(e, v) => {
            let en = &r.enums[e as usize];
            format!(
                "```vital\n{}\n```\nvariant of `{}`",
                en.variants.get(v as usize).map_or("", |s| s.as_str()),
                ty(Type::Enum(e))
            )
        }
        Symbol::StatusArm(i) => {
            let arm = &r.status[i as usize];
            format!(
                "```vital\n{}\n```\nstatus arm {} of {}{}",
                arm.name,
                i + 1,
                r.status.len(),
                if arm.cond.is_none() {
                    " (otherwise)"
                } else {
                    ""
                }
            )
        }
    }
}
