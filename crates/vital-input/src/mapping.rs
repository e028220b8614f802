//! A project file's reading settings for one rule set, checked against the
//! rule set and turned into the [`vital_eval::Mapping`] the schema reads
//! with.

use std::ops::Range;
use vital_check::ir::{RuleSet, Type};
use vital_eval::{Mapping, SignalMapping};

/// A mistake in the project file's mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    /// Where it is written in the project file (bytes).
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
}

impl MappingError {
    fn new(span: Range<usize>, message: String) -> MappingError {
        MappingError { span, message }
    }
}

/// The mapping of `project`'s `[rulesets.NAME.read]` and `.columns` for the
/// checked rule set; every mistake (an undeclared signal, a variant the enum
/// does not have, `scale` on a date…) is returned with its place.
pub fn mapping_for(
    project: &vital_project::RuleSet,
    rules: &RuleSet,
) -> Result<Mapping, Vec<MappingError>> {
    let mut errors = Vec::new();
    // `value`: a money signal; `at_risk`: arms of the status block
    if let Some(v) = &project.value {
        match rules.signals.iter().find(|s| s.name == v.value) {
            Some(s) if s.ty == Type::Money => {}
            Some(s) => errors.push(MappingError::new(
                v.span.clone(),
                format!(
                    "`value` names the account's value, a money signal; `{}` is {}",
                    v.value,
                    rules.type_name(s.ty)
                ),
            )),
            None => {
                let names: Vec<&str> = rules.signals.iter().map(|s| s.name.as_str()).collect();
                errors.push(MappingError::new(
                    v.span.clone(),
                    unknown_signal(&v.value, &names),
                ))
            }
        }
    }
    for arm in project.at_risk.iter().flatten() {
        if !rules.status.iter().any(|a| a.name == arm.value) {
            let arms: Vec<&str> = rules.status.iter().map(|a| a.name.as_str()).collect();
            errors.push(MappingError::new(
                arm.span.clone(),
                format!(
                    "`{}` is not an arm of the status block (expected one of {})",
                    arm.value,
                    arms.join(", ")
                ),
            ));
        }
    }
    let read = &project.read;
    let mut mapping = Mapping {
        delimiter: read.delimiter,
        nulls: read.nulls.clone(),
        true_values: read.true_values.clone(),
        false_values: read.false_values.clone(),
        numeric_account: read.numeric_account,
        signals: vec![SignalMapping::default(); rules.signals.len()],
        ruleset: Some(project.name.clone()),
    };
    for (name, entry) in &project.columns {
        let span = entry.span.clone();
        let Some(i) = rules.signals.iter().position(|s| s.name == *name) else {
            let names: Vec<&str> = rules.signals.iter().map(|s| s.name.as_str()).collect();
            errors.push(MappingError::new(span, unknown_signal(name, &names)));
            continue;
        };
        let signal = &rules.signals[i];
        let col = &entry.value;
        let mut m = SignalMapping {
            column: col.column.clone(),
            ..SignalMapping::default()
        };
        let type_name = rules.type_name(signal.ty);
        if let Some(k) = col.scale {
            if matches!(
                signal.ty,
                Type::Int | Type::Number | Type::Money | Type::Percent
            ) {
                m.scale = rust_decimal::Decimal::from_f64_retain(k).map(|d| d.normalize());
            } else {
                errors.push(MappingError::new(
                    span.clone(),
                    format!("`scale` is for number signals; `{name}` is {type_name}"),
                ));
            }
        }
        if let Some(f) = &col.format {
            if signal.ty != Type::Date {
                errors.push(MappingError::new(
                    span.clone(),
                    format!("`format` is for date signals; `{name}` is {type_name}"),
                ));
            } else if !valid_date_format(f) {
                errors.push(MappingError::new(
                    span.clone(),
                    format!("`{f}` is not a date format (write it as `%m/%d/%Y`, `%d.%m.%Y`, …)"),
                ));
            } else {
                m.format = Some(f.clone());
            }
        }
        if !col.values.is_empty() {
            match signal.ty {
                Type::Enum(e) => {
                    let variants = &rules.enums[e.index()].variants;
                    for (spelling, variant) in &col.values {
                        match variants.iter().position(|v| v == variant) {
                            Some(v) => m.values.push((spelling.clone(), v as u32)),
                            None => errors.push(MappingError::new(
                                span.clone(),
                                format!(
                                    "`{variant}` is not a variant of `{name}` (expected one of {})",
                                    variants.join(", ")
                                ),
                            )),
                        }
                    }
                }
                _ => errors.push(MappingError::new(
                    span.clone(),
                    format!("`values` is for enum signals; `{name}` is {type_name}"),
                )),
            }
        }
        mapping.signals[i] = m;
    }
    if errors.is_empty() {
        Ok(mapping)
    } else {
        Err(errors)
    }
}

fn unknown_signal(name: &str, names: &[&str]) -> String {
    match vital_syntax::suggest::did_you_mean(name, names.iter().copied()) {
        Some(n) => format!("`{name}` is not a signal of the rule set; did you mean `{n}`?"),
        None => format!("`{name}` is not a signal of the rule set"),
    }
}

/// A format that can print and read back a date.
fn valid_date_format(f: &str) -> bool {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 30);
    d.is_some_and(|d| {
        let mut s = String::new();
        std::fmt::Write::write_fmt(&mut s, format_args!("{}", d.format(f))).is_ok()
            && chrono::NaiveDate::parse_from_str(&s, f).ok() == Some(d)
    })
}
