//! `vital lsp`: the language server on standard input and output.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Accepted and ignored: the server always talks over stdio (editor
    /// clients such as vscode-languageclient pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> ExitCode {
    match vital_lsp::run_stdio() {
        Ok(true) => ExitCode::SUCCESS,
        // LSP: `exit` (or the end of input) without `shutdown` first
        Ok(false) => ExitCode::from(1),
        Err(e) => super::fail(format!("the language server stopped: {e}")),
    }
}
