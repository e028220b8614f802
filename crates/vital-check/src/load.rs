//! Finding and reading the files of a rule set: the one loader behind the
//! command line and the language server, so both see the same files, in the
//! same order, read the same way.
//!
//! - **Which files**: every `.vital` file under each path given (a
//!   directory's files sorted by their path relative to it, byte order), and
//!   each file named as given. Symbolic links are followed, to files and to
//!   directories; a file reached twice (through a link, or named twice) is
//!   read once, where it first comes; a link back to an ancestor directory
//!   adds nothing (everything under it is already there); a dangling link
//!   named `*.vital` is a file that cannot be read, and so is a `*.vital`
//!   file named on the command line that is not there (a `vital::io`
//!   diagnostic among the others, in every output format, rather than an
//!   error that stops everything).
//! - **How they are read**: as UTF-8. A UTF-8 byte-order mark at the start
//!   is accepted and dropped (positions count from the character after it,
//!   as editors count them). CRLF line endings are kept as they are: the
//!   lexer treats `\r` as blank space and lines end at `\n`, so line and
//!   column numbers are the same as with LF. A file that cannot be read or is
//!   not UTF-8 becomes an empty file with one `io` diagnostic, so the rest
//!   of the set is still checked.

use std::path::{Path, PathBuf};
use vital_syntax::{Code, Diagnostic, FileId, SourceFile, SourceMap, Span};

/// A path the user named that could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.reason)
    }
}

impl std::error::Error for PathError {}

/// Display form of a path: as given, with `/` separators, without a
/// leading `./`.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// A file's name relative to the directory it was found under (`/`
/// separators), or its display form when it is not under it.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .map_or_else(|_| display(path), display)
}

fn is_vital(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "vital")
}

/// The key that says two paths are the same file (through links).
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Every `.vital` file under the paths, in load order: a directory's files
/// sorted by their path relative to it (byte order), files as given; each
/// file once.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PathError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            // a rule file that is not there: read (and reported) as one
            // that cannot be read
            Err(_) if is_vital(p) => {
                out.push(p.clone());
                continue;
            }
            Err(e) => {
                return Err(PathError {
                    path: display(p),
                    reason: io_reason(&e),
                })
            }
        };
        if meta.is_dir() {
            out.extend(in_order(p, walk(p)?));
        } else {
            out.push(p.clone());
        }
    }
    Ok(dedup(out))
}

/// The `.vital` files under a directory, following links, in no order.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, PathError> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        match entry {
            Ok(e) => {
                if e.file_type().is_file() && is_vital(e.path()) {
                    found.push(e.path().to_path_buf());
                }
            }
            // a link to an ancestor: its files are already being walked
            Err(e) if e.loop_ancestor().is_some() => {}
            // a dangling link named like a rule file: a file that cannot be
            // read (reported when it is loaded)
            Err(e)
                if e.path().is_some_and(|p| {
                    is_vital(p)
                        && p.symlink_metadata()
                            .is_ok_and(|m| m.file_type().is_symlink())
                }) =>
            {
                if let Some(p) = e.path() {
                    found.push(p.to_path_buf());
                }
            }
            Err(e) => {
                return Err(PathError {
                    path: e.path().map_or_else(|| display(dir), display),
                    reason: e.io_error().map_or_else(|| e.to_string(), io_reason),
                })
            }
        }
    }
    Ok(found)
}

/// Files of the directory `root`, sorted by their path relative to it (byte
/// order) — the order of a rule set's files.
pub fn in_order(root: &Path, files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut keyed: Vec<(String, PathBuf)> =
        files.into_iter().map(|p| (relative(root, &p), p)).collect();
    keyed.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// Each file once (the same file through a link counts once), first place
/// kept.
fn dedup(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .filter(|p| seen.insert(identity(p)))
        .collect()
}

/// Every `.vital` file of the rule set rooted at the directory `root`, plus
/// `extra` files (documents an editor has open, saved or not), in load order,
/// each once. A problem walking the directory comes back beside the files.
pub fn rule_set(root: &Path, extra: &[PathBuf]) -> (Vec<PathBuf>, Option<PathError>) {
    let (mut files, problem) = match walk(root) {
        Ok(f) => (f, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    for p in extra {
        if !files.contains(p) {
            files.push(p.clone());
        }
    }
    (dedup(in_order(root, files)), problem)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Why a file's bytes are not a rule file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// 1-based line and column (in characters) of the first bad byte.
    pub line: usize,
    pub column: usize,
    pub byte: u8,
    /// The text with each bad sequence replaced by U+FFFD, so the rest of
    /// the file can still be checked (never written back: a file with an
    /// io diagnostic is not formatted or rewritten).
    pub lossy: String,
    /// Where the first U+FFFD is in `lossy`, in bytes.
    pub offset: usize,
}

impl NotUtf8 {
    /// The message and its span in [`NotUtf8::lossy`] (the first
    /// replacement character), for a file shown as `shown`.
    pub fn diagnostic(&self, file: FileId, shown: &str) -> Diagnostic {
        Diagnostic::new(
            Code::Io,
            file,
            Span::new(self.offset, self.offset + '\u{FFFD}'.len_utf8()),
            format!(
                "`{shown}` is not valid UTF-8 (byte 0x{:02X} at line {}, column {})",
                self.byte, self.line, self.column
            ),
        )
        .with_label("not UTF-8")
        .with_help(
            "save the file as UTF-8 (it was read with this byte replaced, to check the rest)",
        )
    }
}

/// A rule file's text from its bytes: UTF-8, a leading byte-order mark
/// dropped. The `bool` says whether there was one.
pub fn decode(mut bytes: Vec<u8>) -> Result<(String, bool), NotUtf8> {
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    if bom {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, bom)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
            Err(NotUtf8 {
                line: prefix.matches('\n').count() + 1,
                column: prefix[line_start..].chars().count() + 1,
                byte: bytes.get(valid).copied().unwrap_or(0),
                offset: valid,
                lossy: String::from_utf8_lossy(&bytes).into_owned(),
            })
        }
    }
}

/// Text an editor holds for a file, read as a file's bytes would be (a
/// leading byte-order mark dropped).
pub fn normalize(text: String) -> String {
    match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A rule set's files, read.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// One file per path, in the order given; names as [`display`] (or as
    /// the caller named them).
    pub sources: SourceMap,
    /// Where each file of `sources` came from (index = `FileId`).
    pub paths: Vec<PathBuf>,
    /// Whether each file started with a byte-order mark (dropped from its
    /// text); `vital fmt` writes it back.
    pub bom: Vec<bool>,
    /// Files that could not be read or are not UTF-8 (`io` errors).
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// The file read from `path`.
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p == path)
            .map(|i| FileId(i as u32))
    }
}

/// Read the files into a source map, named by [`display`].
pub fn load(files: &[PathBuf]) -> Loaded {
    load_with(files, display, |_| None)
}

/// Read the files into a source map, naming each with `name`; `overlay`
/// gives a file's text when an editor holds it (then the disk is not read).
pub fn load_with(
    files: &[PathBuf],
    name: impl Fn(&Path) -> String,
    mut overlay: impl FnMut(&Path) -> Option<String>,
) -> Loaded {
    let mut out = Loaded::default();
    for f in files {
        let shown = name(f);
        let (text, bom, problem) = match overlay(f) {
            Some(text) => {
                let bom = text.starts_with('\u{FEFF}');
                (normalize(text), bom, None)
            }
            None => match std::fs::read(f) {
                Ok(bytes) => match decode(bytes) {
                    Ok((text, bom)) => (text, bom, None),
                    Err(e) => {
                        let d = e.diagnostic(FileId(0), &shown);
                        (e.lossy, false, Some(d))
                    }
                },
                Err(e) => (
                    String::new(),
                    false,
                    Some(Diagnostic::new(
                        Code::Io,
                        FileId(0),
                        Span::new(0, 0),
                        format!("cannot read `{shown}`: {}", io_reason(&e)),
                    )),
                ),
            },
        };
        let id = out.sources.add(SourceFile::new(shown, text));
        if let Some(mut d) = problem {
            d.file = id;
            out.diagnostics.push(d);
        }
        out.paths.push(f.clone());
        out.bom.push(bom);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn names(dir: &Path, files: &[PathBuf]) -> Vec<String> {
        files.iter().map(|p| relative(dir, p)).collect()
    }

    const SET: &str =
        "signal x: int\nscore s weight 1 = x\nstatus {\n  a when health >= 50\n  b otherwise\n}\n";

    #[test]
    fn files_in_relative_path_order_each_once() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "b.vital", b"");
        write(d.path(), "a/z.vital", b"");
        write(d.path(), "a.vital", b"");
        write(d.path(), "notes.txt", b"");
        write(d.path(), "B.vital", b"");
        let got = collect(&[d.path().to_path_buf()]).unwrap();
        // byte order: `B` < `a.vital` < `a/z.vital` (`.` < `/`) < `b`
        assert_eq!(
            names(d.path(), &got),
            ["B.vital", "a.vital", "a/z.vital", "b.vital"]
        );
        // a file named as well as found under a directory is read once, first place kept
        let got = collect(&[d.path().join("b.vital"), d.path().to_path_buf()]).unwrap();
        assert_eq!(
            names(d.path(), &got),
            ["b.vital", "B.vital", "a.vital", "a/z.vital"]
        );
        // the editor's view: open (unsaved) documents join in the same order
        let (got, problem) = rule_set(d.path(), &[d.path().join("a/new.vital")]);
        assert!(problem.is_none());
        assert_eq!(
            names(d.path(), &got),
            ["B.vital", "a.vital", "a/new.vital", "a/z.vital", "b.vital"]
        );
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let e = collect(&[d.path().join("nope")]).unwrap_err();
        assert_eq!(e.reason, "no such file or directory");
        assert!(e.to_string().starts_with("cannot read `"), "{e}");
    }

    #[test]
    fn a_missing_rule_file_is_a_file_that_cannot_be_read() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("r.vital"), "signal a: int\n").unwrap();
        let list = collect(&[d.path().join("nope.vital"), d.path().join("r.vital")]).unwrap();
        assert_eq!(list.len(), 2);
        let l = load(&list);
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].code, Code::Io);
        assert_eq!(l.sources.files().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_read_once() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let shared = tempfile::tempdir().unwrap();
        write(shared.path(), "schema.vital", b"signal x: int\n");
        write(d.path(), "rules/a.vital", b"");
        // a linked directory outside the set, a link to a file in the set,
        // a link back to an ancestor, a dangling link
        symlink(shared.path(), d.path().join("rules/shared")).unwrap();
        symlink(
            d.path().join("rules/a.vital"),
            d.path().join("rules/z_again.vital"),
        )
        .unwrap();
        symlink(d.path().join("rules"), d.path().join("rules/loop")).unwrap();
        symlink(
            d.path().join("gone.vital"),
            d.path().join("rules/dangling.vital"),
        )
        .unwrap();
        let root = d.path().join("rules");
        let got = collect(std::slice::from_ref(&root)).unwrap();
        assert_eq!(
            names(&root, &got),
            ["a.vital", "dangling.vital", "shared/schema.vital"]
        );
        let (lsp, problem) = rule_set(&root, &[]);
        assert!(problem.is_none());
        assert_eq!(lsp, got, "the editor sees the same files");
        let loaded = load(&got);
        assert_eq!(loaded.diagnostics.len(), 1);
        let d0 = &loaded.diagnostics[0];
        assert_eq!(d0.code, Code::Io);
        assert_eq!(d0.file, FileId(1));
        assert!(
            d0.message.contains("cannot read `")
                && d0
                    .message
                    .contains("dangling.vital`: no such file or directory"),
            "{}",
            d0.message
        );
        assert_eq!(loaded.sources.file(FileId(2)).text, "signal x: int\n");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_positions_stay_right() {
        let d = tempfile::tempdir().unwrap();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(b"signal x: int\nscore s weight 1 = y\n");
        let p = write(d.path(), "bom.vital", &bytes);
        let loaded = load(&[p]);
        assert!(loaded.diagnostics.is_empty());
        assert_eq!(loaded.bom, [true]);
        let file = loaded.sources.file(FileId(0));
        assert!(file.text.starts_with("signal"));
        let checked = crate::check(&loaded.sources);
        let unknown = checked
            .diagnostics
            .iter()
            .find(|d| d.code == Code::UnknownName)
            .unwrap();
        let lc = file.line_col(unknown.span.start);
        assert_eq!((lc.line, lc.column), (2, 20));
        // the same text held by an editor, mark included, reads the same
        let held = load_with(&[d.path().join("bom.vital")], display, |_| {
            Some(String::from_utf8(bytes.clone()).unwrap())
        });
        assert_eq!(held.sources.file(FileId(0)).text, file.text);
        assert_eq!(held.bom, [true]);
    }

    #[test]
    fn crlf_files_check_like_lf_files() {
        let d = tempfile::tempdir().unwrap();
        let lf = format!("## The plan.\nsignal plan: enum(a, b)\n{SET}when plan == c add 1 to s\n");
        let crlf = lf.replace('\n', "\r\n");
        let p1 = write(d.path(), "lf/r.vital", lf.as_bytes());
        let p2 = write(d.path(), "crlf/r.vital", crlf.as_bytes());
        let a = load(&[p1]);
        let b = load(&[p2]);
        assert_eq!(b.sources.file(FileId(0)).text, crlf, "kept as it is");
        let ca = crate::check(&a.sources);
        let cb = crate::check(&b.sources);
        let shown = |l: &Loaded, c: &crate::Checked| -> Vec<(String, usize, usize)> {
            c.diagnostics
                .iter()
                .map(|d| {
                    let lc = l.sources.file(d.file).line_col(d.span.start);
                    (d.code.name().to_string(), lc.line, lc.column)
                })
                .collect()
        };
        assert_eq!(shown(&a, &ca), shown(&b, &cb));
        assert_eq!(shown(&b, &cb).len(), 1, "{:?}", shown(&b, &cb));
        // a doc comment does not keep the `\r`
        assert_eq!(ca.rules.signals[0].doc.as_deref(), Some("The plan."));
        assert_eq!(cb.rules.signals[0].doc, ca.rules.signals[0].doc);
    }

    #[test]
    fn not_utf8_is_an_io_error_at_the_bad_byte() {
        let d = tempfile::tempdir().unwrap();
        let bad = write(
            d.path(),
            "a.vital",
            b"signal x: int\nsignal \xE9t\xE9: int\n",
        );
        let good = write(d.path(), "b.vital", SET.as_bytes());
        let loaded = load(&[bad, good]);
        assert_eq!(loaded.diagnostics.len(), 1);
        let e = &loaded.diagnostics[0];
        assert_eq!(e.code, Code::Io);
        assert_eq!(e.file, FileId(0));
        assert!(
            e.message
                .contains("not valid UTF-8 (byte 0xE9 at line 2, column 8)"),
            "{}",
            e.message
        );
        // read with the bad bytes replaced, the first one marked
        let text = &loaded.sources.file(FileId(0)).text;
        assert_eq!(text, "signal x: int\nsignal \u{FFFD}t\u{FFFD}: int\n");
        assert_eq!(&text[e.span.start..e.span.end], "\u{FFFD}");
        assert_eq!(e.span.start, "signal x: int\nsignal ".len());
        assert_eq!(loaded.sources.file(FileId(1)).text, SET, "the rest is read");
        let e = decode(b"\xEF\xBB\xBFa\n\xFF".to_vec()).unwrap_err();
        assert_eq!((e.line, e.column, e.byte), (2, 1, 0xFF));
    }

    #[test]
    fn a_file_that_cannot_be_read_is_an_io_error() {
        let d = tempfile::tempdir().unwrap();
        let loaded = load(&[d.path().join("missing.vital")]);
        assert_eq!(loaded.diagnostics.len(), 1);
        assert!(loaded.diagnostics[0]
            .message
            .contains("no such file or directory"));
    }
}
