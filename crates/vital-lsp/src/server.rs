//! tower-lsp-server glue: every request goes to [`State`] under one lock;
//! document edits are applied before any `.await`, in the order they come;
//! diagnostics are debounced and version-gated (a result computed for an
//! older edit is never published).

use crate::convert::{path_of, Encoding};
use crate::state::State;
use crate::testing::Verdict;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

/// How long to wait after an edit before checking.
const DEBOUNCE: Duration = Duration::from_millis(10);

pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// Bumped by every edit; a diagnostics run publishes only if no edit
    /// came after it started.
    generation: Arc<AtomicU64>,
    /// Whether the client can register the file watcher
    /// (`workspace.didChangeWatchedFiles.dynamicRegistration`).
    watch: Arc<std::sync::atomic::AtomicBool>,
    /// Set by `shutdown`: `vital lsp` exits 0 after it, 1 without (LSP).
    shut_down: Arc<std::sync::atomic::AtomicBool>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend::with_shutdown_flag(client, Arc::default())
    }

    /// A backend that sets `shut_down` when the client asks it to shut down.
    pub fn with_shutdown_flag(
        client: Client,
        shut_down: Arc<std::sync::atomic::AtomicBool>,
    ) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State::new())),
            generation: Arc::new(AtomicU64::new(0)),
            watch: Arc::default(),
            shut_down,
        }
    }

    /// Run `f` on the state; a panic inside becomes an error response
    /// instead of killing the server.
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T> {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut guard))).map_err(|_| {
            let mut e = Error::internal_error();
            e.message = "the Vital language server hit an internal error on this request".into();
            e
        })
    }

    /// Check the rule set of `path` after a pause, then publish its
    /// diagnostics for every file — unless another edit came meanwhile.
    fn schedule_diagnostics(&self, path: PathBuf) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let current = self.generation.clone();
        let state = self.state.clone();
        let client = self.client.clone();
        tokio::spawn(async move {
            tokio::time::sleep(DEBOUNCE).await;
            if current.load(Ordering::SeqCst) != generation {
                return;
            }
            let (batch, lenses_follow) = {
                let mut g = match state.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    let root = g.root_of(&path);
                    (g.diagnostics(&path), g.has_runs(&root))
                }))
                .unwrap_or_default()
            };
            if current.load(Ordering::SeqCst) != generation {
                return;
            }
            let timing = crate::state::Timing::start();
            for (uri, version, diags) in batch {
                client.publish_diagnostics(uri, diags, version).await;
            }
            timing.lap("publish");
            // a test run from a lens shows its verdict on the rules as they
            // are now: have the client ask for the lenses again
            if lenses_follow {
                let _ = client.code_lens_refresh().await;
            }
            // then, diagnostics being out, the rule set on its sample
            evaluate_sample(state, client, path, current, generation).await;
        });
    }
}

/// Evaluate the rule set of `path` on its sample (when it checks clean and
/// `vital.toml` gives it one) on a blocking thread; if no edit came
/// meanwhile (`generation`), keep the result and publish the diagnostics
/// again with the sample's warnings, then have the client redraw the lenses.
/// A newer edit cancels the work between accounts.
async fn evaluate_sample(
    state: Arc<Mutex<State>>,
    client: Client,
    path: PathBuf,
    current: Arc<AtomicU64>,
    generation: u64,
) {
    let job = {
        let mut g = lock(&state);
        std::panic::catch_unwind(AssertUnwindSafe(|| g.sample_job(&path)))
    };
    let Ok((analysis, cached)) = job else { return };
    if analysis.errors().next().is_some() {
        return;
    }
    let timing = crate::state::Timing::start();
    let cancel = current.clone();
    let done = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            crate::sample::run(&analysis, cached, &|| {
                cancel.load(Ordering::SeqCst) != generation
            })
        }))
        .map(|d| (analysis.root.clone(), d))
    })
    .await;
    let Ok(Ok((root, done))) = done else { return };
    timing.lap("sample");
    if current.load(Ordering::SeqCst) != generation {
        return;
    }
    match done {
        crate::sample::Done::Evaluated(e) => {
            let batch = {
                let mut g = lock(&state);
                g.store_evaluation(&root, e);
                std::panic::catch_unwind(AssertUnwindSafe(|| g.diagnostics(&path)))
                    .unwrap_or_default()
            };
            if current.load(Ordering::SeqCst) != generation {
                return;
            }
            for (uri, version, diags) in batch {
                client.publish_diagnostics(uri, diags, version).await;
            }
            let _ = client.code_lens_refresh().await;
        }
        crate::sample::Done::Failed(msg) => {
            client.log_message(MessageType::WARNING, msg).await;
        }
        crate::sample::Done::Nothing | crate::sample::Done::Cancelled => {}
    }
}

impl Backend {
    /// `vital.explainAccount ROOT ACCOUNT`: the text of `vital explain` for
    /// an account of the sample (its latest snapshot) on the rule set as the
    /// editor holds it. `vital.sampleAccounts ROOT`: the sample's account
    /// ids (for the client to offer). ROOT is the rule set's directory or
    /// any of its files.
    fn sample_command(&self, p: &ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let arg = |i: usize| {
            p.arguments
                .get(i)
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let Some(root) = arg(0) else {
            return Err(Error::invalid_params(format!(
                "{} takes the rule-set root first",
                p.command
            )));
        };
        let given = PathBuf::from(root);
        let answer = self.with(|s| {
            // a rule set's root, or any file of it
            let root = if given.is_dir() {
                given.clone()
            } else {
                s.root_of(&given)
            };
            let a = s.rule_set(&root);
            let e = match s.evaluation(&a) {
                Some(e) => Some(e),
                // not evaluated yet for this state of the rules: now
                None => match s.evaluate_sample(&root) {
                    crate::sample::Done::Evaluated(e) => Some(e),
                    crate::sample::Done::Failed(msg) => return Err(msg),
                    _ => s.latest_evaluation(&root),
                },
            };
            let Some(e) = e else {
                return Err(format!(
                    "the rule set at {} has no sample (the `sample` key of its rule set in vital.toml), or it has errors",
                    root.display()
                ));
            };
            if p.command == "vital.sampleAccounts" {
                return Ok(serde_json::json!(e.data.accounts()));
            }
            let account = arg(1).ok_or("vital.explainAccount takes the rule-set root and an account id")?;
            crate::sample::explain(&a, &e.data, &account).map(|t| serde_json::json!(t))
        })?;
        answer.map(Some).map_err(Error::invalid_params)
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    match state.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn enc_of(params: &InitializeParams) -> Encoding {
    let offers_utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|encs| encs.contains(&PositionEncodingKind::UTF8));
    if offers_utf8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let enc = enc_of(&params);
        let can_watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            == Some(true);
        self.watch
            .store(can_watch, std::sync::atomic::Ordering::Relaxed);
        let mut folders: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| path_of(&f.uri))
            .collect();
        #[allow(deprecated)]
        if folders.is_empty() {
            if let Some(p) = params.root_uri.as_ref().and_then(path_of) {
                folders.push(p);
            }
        }
        self.with(|s| {
            s.encoding = enc;
            s.folders = folders;
        })?;
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "vital".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(match enc {
                    Encoding::Utf8 => PositionEncodingKind::UTF8,
                    Encoding::Utf16 => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![" ".into(), "(".into(), ".".into(), ",".into()]),
                    ..Default::default()
                }),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".into(), ",".into()]),
                    ..Default::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                inlay_hint_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![
                        "vital.runTest".into(),
                        "vital.explainAccount".into(),
                        "vital.sampleAccounts".into(),
                    ],
                    ..Default::default()
                }),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: crate::decorations::TOKEN_TYPES
                                    .iter()
                                    .map(|t| SemanticTokenType::new(t))
                                    .collect(),
                                token_modifiers: vec![],
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            ..Default::default()
                        },
                    ),
                ),
                workspace: Some(WorkspaceServerCapabilities {
                    workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                        supported: Some(true),
                        change_notifications: Some(OneOf::Left(true)),
                    }),
                    file_operations: None,
                }),
                ..Default::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // watch every rule file for changes made outside the editor, when
        // the client can be asked to (else it sends what it watches itself)
        if !self.watch.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let watch = Registration {
            id: "vital-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                // the rules; the project file and snapshot files, for the
                // sample (docs/editor.md)
                watchers: [
                    "**/*.vital",
                    "**/vital.toml",
                    "**/*.{jsonl,json,csv,parquet}",
                ]
                .into_iter()
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(g.into()),
                    kind: None,
                })
                .collect(),
            })
            .ok(),
        };
        // in a task of its own: the notification returns at once, and a
        // client that never answers cannot hold up `exit`
        let client = self.client.clone();
        tokio::spawn(async move {
            let _ = client.register_capability(vec![watch]).await;
        });
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        let doc = params.text_document;
        let _ = self.with(|s| s.open(path.clone(), doc.text, doc.version));
        self.schedule_diagnostics(path);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        let version = params.text_document.version;
        let _ = self.with(|s| s.change(&path, version, params.content_changes));
        self.schedule_diagnostics(path);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else {
            return;
        };
        let _ = self.with(|s| s.close(&path));
        self.schedule_diagnostics(path);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<PathBuf> = params
            .changes
            .iter()
            .filter_map(|c| path_of(&c.uri))
            .collect();
        let (mut targets, other): (Vec<PathBuf>, Vec<PathBuf>) = paths
            .into_iter()
            .partition(|p| p.extension().is_some_and(|x| x == "vital"));
        let open = self
            .with(|s| {
                s.invalidate_all();
                if other.is_empty() {
                    return Vec::new();
                }
                // vital.toml or a snapshot file (a sample) changed: the rule
                // sets of the open documents, once each, again
                let mut docs: Vec<PathBuf> = s
                    .docs
                    .keys()
                    .filter(|p| p.extension().is_some_and(|x| x == "vital"))
                    .cloned()
                    .collect();
                docs.sort();
                let mut roots = Vec::new();
                docs.retain(|p| {
                    let r = s.root_of(p);
                    let new = !roots.contains(&r);
                    roots.push(r);
                    new
                });
                docs
            })
            .unwrap_or_default();
        targets.extend(open);
        for p in targets {
            self.schedule_diagnostics(p);
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| path_of(&f.uri))
            .collect();
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| path_of(&f.uri))
            .collect();
        let _ = self.with(|s| {
            s.folders.retain(|f| !removed.contains(f));
            s.folders.extend(added);
            s.invalidate_all();
        });
    }

    async fn hover(&self, p: HoverParams) -> Result<Option<Hover>> {
        let tp = p.text_document_position_params;
        self.with(|s| s.hover(&tp.text_document.uri, tp.position))
    }

    async fn completion(&self, p: CompletionParams) -> Result<Option<CompletionResponse>> {
        let tp = p.text_document_position;
        self.with(|s| {
            Some(CompletionResponse::Array(
                s.completion(&tp.text_document.uri, tp.position),
            ))
        })
    }

    async fn signature_help(&self, p: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let tp = p.text_document_position_params;
        self.with(|s| s.signature_help(&tp.text_document.uri, tp.position))
    }

    async fn goto_definition(
        &self,
        p: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let tp = p.text_document_position_params;
        self.with(|s| {
            s.definition(&tp.text_document.uri, tp.position)
                .map(GotoDefinitionResponse::Scalar)
        })
    }

    async fn references(&self, p: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let tp = p.text_document_position;
        self.with(|s| {
            Some(s.references(
                &tp.text_document.uri,
                tp.position,
                p.context.include_declaration,
            ))
        })
    }

    async fn document_highlight(
        &self,
        p: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let tp = p.text_document_position_params;
        self.with(|s| Some(s.highlight(&tp.text_document.uri, tp.position)))
    }

    async fn document_symbol(
        &self,
        p: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with(|s| {
            Some(DocumentSymbolResponse::Nested(
                s.document_symbols(&p.text_document.uri),
            ))
        })
    }

    async fn symbol(&self, p: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.with(|s| {
            Some(WorkspaceSymbolResponse::Nested(
                s.workspace_symbols(&p.query),
            ))
        })
    }

    async fn formatting(&self, p: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.with(|s| s.format(&p.text_document.uri))
    }

    async fn range_formatting(
        &self,
        p: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        self.with(|s| s.format_range(&p.text_document.uri, p.range))
    }

    async fn prepare_rename(
        &self,
        p: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.with(|s| s.prepare_rename(&p.text_document.uri, p.position))?
            .map_err(Error::invalid_params)
    }

    async fn rename(&self, p: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let tp = p.text_document_position;
        self.with(|s| s.rename(&tp.text_document.uri, tp.position, &p.new_name))?
            .map_err(Error::invalid_params)
    }

    async fn semantic_tokens_full(
        &self,
        p: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with(|s| {
            Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: s.semantic_tokens(&p.text_document.uri),
            }))
        })
    }

    async fn code_action(&self, p: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.with(|s| Some(s.code_actions(&p.text_document.uri, p.range)))
    }

    async fn inlay_hint(&self, p: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        // only those in the range asked for (a client asks for what it shows)
        let r = p.range;
        let inside = |h: &InlayHint| {
            let at = (h.position.line, h.position.character);
            (r.start.line, r.start.character) <= at && at <= (r.end.line, r.end.character)
        };
        self.with(|s| {
            let mut hints = s.inlay_hints(&p.text_document.uri);
            hints.retain(inside);
            Some(hints)
        })
    }

    async fn code_lens(&self, p: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        self.with(|s| Some(s.code_lenses(&p.text_document.uri)))
    }

    /// `vital.runTest ROOT NAME`: runs exactly the test named NAME of the
    /// rule set rooted at ROOT, in process, on the rule set as the editor
    /// holds it; keeps the verdict for the lens and reports it in full
    /// (the verdict first, then why).
    async fn execute_command(&self, p: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        if p.command == "vital.explainAccount" || p.command == "vital.sampleAccounts" {
            return self.sample_command(&p);
        }
        if p.command != "vital.runTest" {
            return Err(Error::invalid_params(format!(
                "unknown command {}",
                p.command
            )));
        }
        let arg = |i: usize| {
            p.arguments
                .get(i)
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let (Some(root), Some(name)) = (arg(0), arg(1)) else {
            return Err(Error::invalid_params(
                "vital.runTest takes the rule-set root and the test name",
            ));
        };
        let root = PathBuf::from(root);
        // check under the lock (cached after the first time), run the test
        // outside it
        let analysis = self.with(|s| s.rule_set(&root))?;
        let run_name = name.clone();
        let verdict = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                crate::testing::run(&analysis, &run_name)
            }))
        })
        .await;
        let verdict: Verdict = match verdict {
            Ok(Ok(v)) => v,
            _ => {
                let mut e = Error::internal_error();
                e.message = format!("the test {name:?} could not be run (internal error)").into();
                return Err(e);
            }
        };
        self.with(|s| s.record(&root, &name, verdict.clone()))?;
        let kind = if verdict.passed {
            MessageType::INFO
        } else {
            MessageType::ERROR
        };
        self.client.log_message(kind, &verdict.details).await;
        self.client.show_message(kind, &verdict.summary).await;
        let _ = self.client.code_lens_refresh().await;
        Ok(Some(serde_json::json!({
            "passed": verdict.passed,
            "summary": verdict.summary,
            "details": verdict.details,
        })))
    }
}
