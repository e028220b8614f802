//! The one diagnostic type of the project.
//!
//! Parser, checker, `vital check` (every output format) and the language
//! server all speak [`Diagnostic`]. Positions are byte offsets into a file of a
//! [`SourceMap`]; only the CLI and the LSP turn them into lines and columns.

use crate::{SourceMap, Span};
use std::fmt;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

impl FileId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $desc:literal; )*) => {
        /// Stable diagnostic codes. The name (`unknown-name`) never changes
        /// once released; tools match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $desc] $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The short name, e.g. `unknown-name`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One line describing the code (used by SARIF rule metadata).
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $desc,)* }
            }
        }
    };
}

codes! {
    Io = "io", Error, "A file could not be read or is not UTF-8, or a path given holds no rule file";
    Project = "project", Error, "The project file vital.toml is not valid";
    Syntax = "syntax", Error, "The text does not follow the grammar";
    InvalidDate = "invalid-date", Error, "An impossible date such as 2026-02-30";
    InvalidLiteral = "invalid-literal", Error, "A number literal that does not fit in 28 significant digits, or a duration of more than 100000 units";
    TooDeep = "too-deep", Error, "Nesting too deep or an expression too long";
    UnknownName = "unknown-name", Error, "A name that resolves to nothing";
    UnknownField = "unknown-field", Error, "An event field that does not exist";
    UnknownVariant = "unknown-variant", Error, "A variant that is not in the enum";
    UnknownStatus = "unknown-status", Error, "A status name that is not an arm of the status block";
    UnknownFunction = "unknown-function", Error, "A function that does not exist";
    UnknownPlaybook = "unknown-playbook", Error, "A test expects a playbook that no rule triggers";
    WrongKind = "wrong-kind", Error, "A name of the wrong kind for its place";
    WrongArity = "wrong-arity", Error, "A function called with the wrong number of arguments";
    InvalidArgument = "invalid-argument", Error, "A function argument that cannot be used";
    PercentMismatch = "percent-mismatch", Error, "A percent combined or compared with a plain number";
    DateSubtraction = "date-subtraction", Error, "A date subtracted from a date";
    TypeMismatch = "type-mismatch", Error, "Operand types that do not fit together";
    ScoreReadsScore = "score-reads-score", Error, "A score base or adjustment that reads a score, health or status";
    StatusReadsStatus = "status-reads-status", Error, "A status arm that reads status";
    DuplicateDeclaration = "duplicate-declaration", Error, "A signal, event, const or score declared twice";
    DuplicateName = "duplicate-name", Error, "A rule, test, variant, field or status arm named twice";
    MissingStatus = "missing-status", Error, "The rule set has no status block";
    DuplicateStatus = "duplicate-status", Error, "The rule set has more than one status block";
    MissingOtherwise = "missing-otherwise", Error, "A status block or band without an otherwise arm";
    ConstCycle = "const-cycle", Error, "Constants that depend on each other";
    NotConstant = "not-constant", Error, "A constant that reads something only known per account";
    WithinNotDuration = "within-not-duration", Error, "A within that is not a duration";
    NonPositiveWeight = "non-positive-weight", Error, "A score weight that is zero or negative";
    TriggerWithoutCondition = "trigger-without-condition", Error, "A trigger rule without a when condition";
    InvalidCooldown = "invalid-cooldown", Error, "A trigger cooldown that is not a whole number of at least 1";
    InvalidOwner = "invalid-owner", Error, "A trigger owner that is not a text or enum signal";
    ConflictingPlaybook = "conflicting-playbook", Error, "Rules that trigger one playbook with different cooldowns or owners";
    ReservedField = "reserved-field", Error, "An event field named `type` or `at`, which snapshots use for the event itself";
    UnusedSignal = "unused-signal", Warning, "A signal that nothing reads";
    UnusedEvent = "unused-event", Warning, "An event that nothing reads";
    UnusedConst = "unused-const", Warning, "A constant that nothing reads";
    UnreachableArm = "unreachable-arm", Warning, "A status or band arm after otherwise";
    ConstantCondition = "constant-condition", Warning, "A rule whose condition does not depend on the account";
    NeverFires = "never-fires", Warning, "A rule that fires for no account of the sample (the editor, vital check --sample)";
    ArmNeverTaken = "arm-never-taken", Warning, "A band arm that no account of the sample takes (the editor, vital check --sample)";
}

impl Code {
    /// The full code, e.g. `vital::unknown-name`.
    pub fn qualified(self) -> String {
        format!("vital::{}", self.name())
    }

    /// Look a code up by its short name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vital::{}", self.name())
    }
}

/// A place in another part of the rule set that matters to a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// A machine-applicable edit suggested by a diagnostic (did-you-mean,
/// `write 20%`, a missing `otherwise`). The LSP offers it as a quick fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub file: FileId,
    pub span: Span,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub file: FileId,
    pub span: Span,
    /// Text of the primary label (shown under the span).
    pub label: Option<String>,
    pub help: Option<String>,
    pub related: Vec<Related>,
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            file,
            span,
            label: None,
            help: None,
            related: Vec::new(),
            fixes: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file,
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_fix(
        mut self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Self {
        let file = self.file;
        self.fixes.push(Fix {
            title: title.into(),
            file,
            span,
            replacement: replacement.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sort diagnostics the way every front end shows them: by file, then
/// position, then code.
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.file, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            b.file,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}

// ------------------------------------------------------------------ miette

/// A diagnostic together with its source, as a [`miette::Diagnostic`].
///
/// Secondary places in the same file become labels; places in other files
/// become `related()` reports carrying their own source, the way cedar's
/// parser errors are grouped.
#[derive(Debug)]
pub struct Report {
    code: Code,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: miette::NamedSource<String>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    pub fn new(diag: &Diagnostic, sources: &SourceMap) -> Report {
        let file = sources.file(diag.file);
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            diag.label.clone(),
            miette::SourceSpan::from(diag.span.start..diag.span.end),
        )];
        let mut related = Vec::new();
        for rel in &diag.related {
            if rel.file == diag.file {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(rel.message.clone()),
                    miette::SourceSpan::from(rel.span.start..rel.span.end),
                ));
            } else {
                let other = sources.file(rel.file);
                related.push(Report {
                    code: diag.code,
                    severity: diag.severity,
                    message: rel.message.clone(),
                    help: None,
                    source: miette::NamedSource::new(other.path.clone(), other.text.clone()),
                    labels: vec![miette::LabeledSpan::new_primary_with_span(
                        None,
                        miette::SourceSpan::from(rel.span.start..rel.span.end),
                    )],
                    related: Vec::new(),
                });
            }
        }
        Report {
            code: diag.code,
            severity: diag.severity,
            message: diag.message.clone(),
            help: diag.help.clone(),
            source: miette::NamedSource::new(file.path.clone(), file.text.clone()),
            labels,
            related,
        }
    }

    /// Render with miette's graphical handler. `color` picks the themed or
    /// the no-colour unicode theme.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        let handler = report_handler(theme);
        let mut out = String::new();
        if handler.render_report(&mut out, self).is_err() {
            out = format!("{}: {}\n", self.code, self.message);
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// miette's graphical handler as Vital renders reports: 100 columns, and
/// lines wrapped between words but never inside a `code span` (a
/// suggestion such as `status { healthy when health >= 70 }` stays on one
/// line, so it can be copied).
pub fn report_handler(theme: miette::GraphicalTheme) -> miette::GraphicalReportHandler {
    miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::Custom(code_spans_whole))
}

/// Words separated by spaces, a code span (between backticks) counting as
/// one word with the spaces inside it.
fn code_spans_whole(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let mut start = 0;
    let mut in_code = false;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => in_code = !in_code,
            ' ' if !in_code => {
                // the word ends after its run of spaces
                let mut end = i + 1;
                while let Some(&(j, ' ')) = chars.peek() {
                    end = j + 1;
                    chars.next();
                }
                words.push(textwrap::core::Word::from(&line[start..end]));
                start = end;
            }
            _ => {}
        }
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SourceFile, SourceMap};

    /// A long help is wrapped between words, but a code span in it stays on
    /// one line (and every word is still there, in order).
    #[test]
    fn wrapping_keeps_code_spans_whole() {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::new("a.vital", "signal x: int\n"));
        let span = "`status { healthy when health >= 70  at_risk otherwise }`";
        let help = format!(
            "{} {span} and after it a few more words",
            "word ".repeat(14)
        );
        let d = Diagnostic::new(Code::MissingStatus, file, Span::new(0, 6), "no status")
            .with_help(help.clone());
        let out = Report::new(&d, &sources).render(false);
        assert!(out.lines().any(|l| l.contains(span)), "{out}");
        let words: Vec<&str> = out
            .split("help:")
            .nth(1)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        assert_eq!(words, help.split_whitespace().collect::<Vec<_>>(), "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    }
}
