//! The Vital language server. The only crate that knows LSP.
//!
//! It speaks JSON-RPC on stdin/stdout; it never prints anything else to
//! stdout (logs go to stderr). Every request is answered from the checker's
//! results ([`vital_check::Checked`]): the same diagnostics and codes as
//! `vital check`, plus the name index for navigation.
//!
//! Layers, each using only those above it:
//! - `convert`: offsets ↔ positions, paths ↔ URIs;
//! - `analysis`: one checked rule set, as features see it;
//! - one module per feature group, each a set of functions of an
//!   `Analysis`: `diagnostics`, `navigation` (definition, references,
//!   highlight, rename), `symbols`, `actions` (quick fixes, formatting),
//!   `hover` (hover, signature help), `decorations` (semantic tokens, inlay
//!   hints, code lenses), `complete`, `testing` (run one test in process),
//!   `sample` (the rule set on the project's sample: lenses, hovers,
//!   coverage warnings, explain; also used by `vital check --sample`);
//! - `state`: the workspace model (documents, rule-set roots, the cache of
//!   analyses) that resolves a request to an analysis and calls the feature;
//! - `server`: the tower-lsp-server glue, holding the state under one lock;
//! - `transport`: the framing in front of it, which answers a message it
//!   cannot decode with an error instead of ending the server.

#![deny(clippy::print_stdout)]

mod actions;
pub mod analysis;
mod complete;
pub mod convert;
mod decorations;
mod diagnostics;
mod hover;
mod navigation;
pub mod sample;
mod server;
pub mod state;
mod symbols;
pub mod testing;
mod transport;

pub use diagnostics::plain;
pub use server::Backend;
pub use state::State;

use tower_lsp_server::{ClientSocket, LspService};

/// The service and its client socket, for tests that drive the server over
/// an in-memory duplex.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    LspService::new(Backend::new)
}

/// Serve on any reader/writer pair (a duplex in tests, stdio for `vital
/// lsp`), through `transport`: a message the server cannot decode is
/// answered with an error, and the server goes on.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite + Unpin,
{
    transport::serve(input, output).await;
}

/// `vital lsp`: serve on stdin/stdout until the client says exit; whether
/// it asked to shut down first (LSP: exit 0 after `shutdown`, else 1).
pub fn run_stdio() -> std::io::Result<bool> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let shut_down = rt.block_on(transport::serve(tokio::io::stdin(), tokio::io::stdout()));
    // a read of stdin may still be pending on a blocking thread (a client
    // that keeps stdin open after `exit`): do not wait for it
    rt.shutdown_background();
    Ok(shut_down)
}
