//! The sample benches' project (`sample_latency`, `client_sample_latency`):
//! the rule set and `vital.toml` of tests/sample with a 2,000-account sample
//! of three snapshots each, in a temporary directory.

use std::fmt::Write as _;

pub fn project() -> tempfile::TempDir {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sample");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    for f in ["vital.toml", "rules/schema.vital", "rules/rules.vital"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let plans = ["basic", "pro", "enterprise"];
    let mut sample = String::new();
    for i in 0..2000u32 {
        for (m, day) in ["2026-09-01", "2026-10-01", "2026-11-01"]
            .iter()
            .enumerate()
        {
            let usage = (i * 7 + m as u32 * 13) % 1000;
            let nps = if i % 10 == 0 {
                "null".to_string()
            } else {
                format!("{}", (i % 120) as i32 - 40)
            };
            writeln!(
                sample,
                "{{\"account\":\"a{i:05}\",\"as_of\":\"{day}\",\"signals\":{{\"usage\":{}.{},\"seats\":{},\"plan\":\"{}\",\"nps\":{nps},\"arr\":{}}}}}",
                usage / 10,
                usage % 10,
                i % 9,
                plans[(i as usize + m) % 3],
                i * 1000
            )
            .unwrap();
        }
    }
    std::fs::write(dir.path().join("sample.jsonl"), &sample).unwrap();
    dir
}
