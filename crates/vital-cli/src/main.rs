//! `vital`: check, format, test and run customer-health rules. One file per
//! subcommand under `commands/`.

mod commands;
mod report;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The nightly run allocates many small values per record; mimalloc is
/// markedly faster at that than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vital",
    version,
    about = "Customer-health scoring rules: check, format, test, run"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a rule set (files or directories; default `.`).
    Check(commands::check::Args),
    /// Evaluate snapshots (JSON Lines, a JSON array, CSV, or `-` for stdin).
    Run(commands::run::Args),
    /// Why an account scores what it does, for people.
    Explain(commands::explain::Args),
    /// Run the `test` blocks of a rule set.
    Test(commands::test::Args),
    /// What the history store holds: an account's results over time,
    /// stale accounts, pruning.
    History(commands::history::Args),
    /// The playbook starts the history store recorded: the CSM's work
    /// queue, with the rule and what it read.
    Playbooks(commands::playbooks::Args),
    /// Deliver each playbook start not delivered yet to the webhook of
    /// `[notify]` (once each, retried with backoff).
    Notify(commands::notify::Args),
    /// The language server, on stdin/stdout.
    Lsp(commands::lsp::Args),
    /// Format rule files in place (canonical layout, comments kept).
    Fmt(commands::fmt::Args),
    /// What a rule change does to every account: base and head rule sets
    /// over the same snapshots.
    Diff(commands::diff::Args),
    /// Rollups of the results: accounts and value per status, health,
    /// playbooks, by group.
    Summary(commands::summary::Args),
    /// One self-contained HTML report: headline, distribution, status
    /// over time, groups, accounts at risk.
    Report(commands::report::Args),
    /// The rule set as one SQL query (DuckDB, PostgreSQL, Spark, Snowflake,
    /// BigQuery) over tables of snapshots and events, with the results of
    /// `vital run --all`.
    Compile(commands::compile::Args),
    /// Is health predictive? AUC, churn rates and lift of every score and
    /// rule against an outcomes file, and suggested weights.
    Calibrate(commands::calibrate::Args),
    /// Scaffold a project: vital.toml and a rule set, from a sample file
    /// (`--from`) or an example.
    Init(commands::init::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Check(a) => commands::check::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Test(a) => commands::test::run(a),
        Command::Lsp(a) => commands::lsp::run(a),
        Command::History(a) => commands::history::run(a),
        Command::Playbooks(a) => commands::playbooks::run(a),
        Command::Notify(a) => commands::notify::run(a),
        Command::Init(a) => commands::init::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Summary(a) => commands::summary::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Compile(a) => commands::compile::run(a),
        Command::Calibrate(a) => commands::calibrate::run(a),
    }
}
