//! Random bytes and random token soups never panic the parser, the checker
//! or the formatter, and deep or huge input is a diagnostic, not a crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vital_syntax::{Code, FileId, SourceFile, SourceMap};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "signal",
    "event",
    "const",
    "score",
    "weight",
    "status",
    "rule",
    "when",
    "add",
    "to",
    "subtract",
    "from",
    "trigger",
    "band",
    "otherwise",
    "within",
    "where",
    "in",
    "is",
    "not",
    "missing",
    "and",
    "or",
    "true",
    "false",
    "health",
    "test",
    "as_of",
    "given",
    "events",
    "history",
    "on",
    "expect",
    "triggered",
    "int",
    "percent",
    "enum",
    "days",
    "month",
    "x",
    "arr",
    "tier",
    "count",
    "min",
    "previous",
    "linear",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    ".",
    "?",
    "??",
    "=",
    "=>",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "12",
    "3.5",
    "250k",
    "45%",
    "-10%",
    "\"re-engagement\"",
    "\"open",
    "2026-11-01",
    "2026-02-30",
    "30 days",
    "#",
    "## doc\n",
    "\n",
    "é",
    "\u{0}",
    "@",
];

fn exercise(text: &str) {
    let mut map = SourceMap::new();
    map.add(SourceFile::new("fuzz.vital", text));
    let checked = vital_check::check(&map);
    let file = map.file(FileId(0));
    for d in &checked.diagnostics {
        // every diagnostic points inside the file, on character boundaries
        assert!(
            d.span.start <= d.span.end && d.span.end <= file.text.len(),
            "{d:?} in {text:?}"
        );
        assert!(file.text.is_char_boundary(d.span.start) && file.text.is_char_boundary(d.span.end));
        let _ = vital_syntax::Report::new(d, &map).render(false);
    }
    if let Ok(formatted) = vital_syntax::format::format_source(FileId(0), text) {
        let again = vital_syntax::format::format_source(FileId(0), &formatted)
            .expect("formatted text parses");
        assert_eq!(again, formatted, "not idempotent on {text:?}");
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..3000 {
        let len = rng.below(120);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_token_soups_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for _ in 0..4000 {
        let n = rng.below(40);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(WORDS[rng.below(WORDS.len())]);
            text.push(if rng.below(5) == 0 { '\n' } else { ' ' });
        }
        exercise(&text);
    }
}

#[test]
fn mutated_valid_programs_never_panic() {
    let base = include_str!("fixtures/valid/spec_example.vital");
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    for _ in 0..600 {
        let mut s: Vec<char> = base.chars().collect();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(s.len());
            match rng.below(3) {
                0 => {
                    s.remove(at);
                }
                1 => s.insert(at, ['(', '}', '"', '#', '-', 'x', '\n', '%'][rng.below(8)]),
                _ => {
                    let end = (at + rng.below(20)).min(s.len());
                    s.drain(at..end);
                }
            }
        }
        exercise(&s.into_iter().collect::<String>());
    }
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_stack_overflow() {
    for depth in [49, 1000, 100_000] {
        let text = format!(
            "signal x: int\nscore s weight 1 = {}x{}\nstatus {{ a otherwise }}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let mut map = SourceMap::new();
        map.add(SourceFile::new("deep.vital", text));
        let checked = vital_check::check(&map);
        assert!(
            checked.diagnostics.iter().any(|d| d.code == Code::TooDeep),
            "depth {depth}"
        );
    }
    let text = format!(
        "const c = {}1{}\nstatus {{ a otherwise }}\n",
        "-".repeat(50_000),
        ""
    );
    exercise(&text);
    let text = format!(
        "const c = {}true\nstatus {{ a otherwise }}\n",
        "not ".repeat(50_000)
    );
    exercise(&text);
}

#[test]
fn a_long_chain_of_constants_is_a_diagnostic() {
    // declared in order, each constant is evaluated from finished ones: fine
    let mut text = String::from("const c0 = 1\n");
    for i in 1..5000 {
        text.push_str(&format!("const c{i} = c{} + 1\n", i - 1));
    }
    text.push_str("signal x: int\nstatus { a when x > c4999  b otherwise }\n");
    let mut map = SourceMap::new();
    map.add(SourceFile::new("chain.vital", text));
    assert_eq!(vital_check::check(&map).error_count(), 0);
    // declared backwards, evaluating the first needs the whole chain
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("const c{i} = c{} + 1\n", i + 1));
    }
    text.push_str("const c5000 = 1\nsignal x: int\nstatus { a when x > c0  b otherwise }\n");
    let mut map = SourceMap::new();
    map.add(SourceFile::new("chain.vital", text));
    let checked = vital_check::check(&map);
    assert!(checked.diagnostics.iter().any(|d| d.code == Code::TooDeep));
}

#[test]
fn a_huge_file_is_checked() {
    let mut text = String::from(
        "signal x: int\nscore s weight 1 = 50\nstatus { a when health > 50  b otherwise }\n",
    );
    for i in 0..20_000 {
        text.push_str(&format!("rule \"r{i}\" when x > {i} add 1 to s\n"));
    }
    let mut map = SourceMap::new();
    map.add(SourceFile::new("huge.vital", text));
    let checked = vital_check::check(&map);
    assert_eq!(checked.error_count(), 0);
    assert_eq!(checked.rules.adjustments.len(), 20_000);
}
