//! PostgreSQL for the tests: `VITAL_TEST_PG_URL` names a server (`.ci/run`
//! starts a throwaway one with `.ci/postgres.sh`); each test gets a fresh
//! database of its own on it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The server's URL, when the tests have one.
pub fn url() -> Option<String> {
    std::env::var("VITAL_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A new, empty database named after the test (dropped first if a previous
/// run left it); its URL. `None` without `VITAL_TEST_PG_URL`.
pub fn fresh_database(name: &str) -> Option<String> {
    let base = url()?;
    let db: String = format!("vital_{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let mut client = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("VITAL_TEST_PG_URL={base}: cannot connect: {e}"));
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    Some(with_database(&base, &db))
}

/// `base` with its database replaced by `db`.
pub fn with_database(base: &str, db: &str) -> String {
    let (scheme, rest) = base.split_once("://").unwrap();
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let host = before_query.split('/').next().unwrap();
    let mut out = format!("{scheme}://{host}/{db}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Say that a PostgreSQL test did not run.
pub fn skipped(test: &str) {
    eprintln!("note: {test} skipped on PostgreSQL: VITAL_TEST_PG_URL is not set (.ci/run sets it)");
}
