//! Byte offsets ↔ LSP positions, in the encoding negotiated with the client
//! (UTF-16 by default, UTF-8 when the client offers it), and paths ↔ URIs.
//! This is the one place where byte offsets become lines and columns for the
//! editor.

use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types::{Position, Range, Uri};
use vital_syntax::{SourceFile, Span};

/// The file a `file:` URI names.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

fn line_start(text: &str, line: usize) -> Option<usize> {
    if line == 0 {
        return Some(0);
    }
    text.match_indices('\n').nth(line - 1).map(|(i, _)| i + 1)
}

/// The column of the end of `col_text` (the line up to a point), in `enc` units.
fn column(col_text: &str, enc: Encoding) -> u32 {
    (match enc {
        Encoding::Utf8 => col_text.len(),
        Encoding::Utf16 => col_text.encode_utf16().count(),
    }) as u32
}

/// The position of a byte offset in a text without a line index (a document
/// being edited).
pub fn position(text: &str, offset: usize, enc: Encoding) -> Position {
    position_in(&SourceFile::new("", text), offset, enc)
}

/// The byte offset of a position (clamped to the line and the text).
pub fn offset(text: &str, pos: Position, enc: Encoding) -> usize {
    let Some(start) = line_start(text, pos.line as usize) else {
        return text.len();
    };
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..line_end];
    let want = pos.character as usize;
    match enc {
        Encoding::Utf8 => {
            let mut o = want.min(line.len());
            while !line.is_char_boundary(o) {
                o -= 1;
            }
            start + o
        }
        Encoding::Utf16 => {
            let mut units = 0;
            for (i, c) in line.char_indices() {
                if units >= want {
                    return start + i;
                }
                units += c.len_utf16();
            }
            line_end
        }
    }
}

/// The position of a byte offset, through the file's line index.
pub fn position_in(file: &SourceFile, offset: usize, enc: Encoding) -> Position {
    let offset = file.clamp(offset);
    let line = file.line_index(offset);
    Position::new(
        line as u32,
        column(&file.text[file.line_start(line)..offset], enc),
    )
}

pub fn range_in(file: &SourceFile, span: Span, enc: Encoding) -> Range {
    Range::new(
        position_in(file, span.start, enc),
        position_in(file, span.end, enc),
    )
}

/// [`offset`] with the file's line index.
pub fn offset_in(file: &SourceFile, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= file.line_count() {
        return file.text.len();
    }
    let start = file.line_start(line);
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    start + offset(&file.text[start..end], Position::new(0, pos.character), enc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_does_not_shift_positions() {
        // "é" is 2 bytes, 1 UTF-16 unit; "𝄞" is 4 bytes, 2 units
        let text = "a \"é𝄞\" b\nx";
        let b = text.find(" b").unwrap() + 1;
        assert_eq!(position(text, b, Encoding::Utf16), Position::new(0, 8));
        assert_eq!(position(text, b, Encoding::Utf8), Position::new(0, 11));
        assert_eq!(offset(text, Position::new(0, 8), Encoding::Utf16), b);
        assert_eq!(offset(text, Position::new(0, 11), Encoding::Utf8), b);
        assert_eq!(
            offset(text, Position::new(1, 0), Encoding::Utf16),
            text.len() - 1
        );
        assert_eq!(
            offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        assert_eq!(
            offset(text, Position::new(0, 99), Encoding::Utf16),
            text.find('\n').unwrap()
        );
    }
}
