//! The checks of a certificate that need the database: its scheme exists and applies to its
//! subject, its level and minerals are the scheme's, and a change does not go back in time.

use std::collections::HashMap;

use super::input::Parsed;
use super::subject::SubjectInfo;
use crate::domain::facility::scheme_subject;
use crate::domain::validation::{FieldError, FieldErrors};
use crate::domain::vocabulary::SchemeSubject;
use crate::store::certification::{Certification, Change, NewCertification};
use crate::store::scheme::Scheme;

/// The checks that need the scheme and the subject: the scheme exists and applies to the
/// subject, the level is one of its levels, the minerals are among its minerals.
pub fn check_against(
    c: &NewCertification,
    schemes: &HashMap<String, Scheme>,
    subject: SubjectInfo,
) -> Vec<FieldError> {
    let mut e = FieldErrors::new();
    let Some(scheme) = schemes.get(&c.scheme) else {
        let mut known: Vec<&str> = schemes.keys().map(String::as_str).collect();
        known.sort_unstable();
        e.add(
            "/scheme",
            format!(
                "no scheme {}; known schemes: {}",
                c.scheme,
                known.join(", ")
            ),
        );
        if let SubjectInfo::Missing = subject {
            missing_subject(&mut e, c);
        }
        return e.into_vec();
    };
    let wanted: Option<SchemeSubject> = match subject {
        SubjectInfo::Missing => {
            missing_subject(&mut e, c);
            None
        }
        SubjectInfo::Party => Some(SchemeSubject::Company),
        SubjectInfo::Facility(kind, scale) => {
            let wanted = scheme_subject(kind, scale);
            if wanted.is_none() {
                e.add(
                    "/subject",
                    format!(
                        "no scheme certifies a {kind} facility: certify a mine, a smelter or a \
                         refiner, or the company that operates it"
                    ),
                );
            }
            wanted
        }
    };
    if let Some(wanted) = wanted
        && !scheme.applies_to(wanted)
    {
        let applies: Vec<&str> = scheme.subjects.iter().map(|s| s.as_str()).collect();
        e.add(
            "/subject",
            format!(
                "{} certifies {}, not a {}",
                scheme.id,
                applies.join(", "),
                wanted.as_str().replace('_', " ")
            ),
        );
    }
    match (&c.level, scheme.levels.is_empty()) {
        (Some(_), true) => e.add("/level", format!("{} has no levels", scheme.id)),
        (None, false) => e.add(
            "/level",
            format!(
                "is required for {}: one of {}",
                scheme.id,
                scheme.levels.join(", ")
            ),
        ),
        (Some(level), false) if !scheme.levels.contains(level) => e.add(
            "/level",
            format!(
                "is not a level of {}: one of {}",
                scheme.id,
                scheme.levels.join(", ")
            ),
        ),
        _ => {}
    }
    for (i, mineral) in c.minerals.iter().enumerate() {
        if !scheme.covers(*mineral) {
            let covered: Vec<&str> = scheme.minerals.iter().map(|m| m.as_str()).collect();
            e.add(
                format!("/minerals/{i}"),
                format!("{} covers {} only", scheme.id, covered.join(", ")),
            );
        }
    }
    e.into_vec()
}

fn missing_subject(e: &mut FieldErrors, c: &NewCertification) {
    e.add(
        "/subject/id",
        format!("no {} {}", c.subject.subject_type, c.subject.id),
    );
}

/// The errors of a change to `current`: the scheme and subject cannot change, and a change of
/// standing cannot take effect before the latest recorded one.
pub fn check_change(
    current: &Certification,
    new: &NewCertification,
    change: &Change,
) -> Vec<FieldError> {
    let mut e = FieldErrors::new();
    if new.scheme != current.scheme {
        e.add(
            "/scheme",
            "cannot change: a certificate of another scheme is another certificate",
        );
    }
    if new.subject != current.subject {
        e.add(
            "/subject",
            "cannot change: a certificate of another subject is another certificate",
        );
    }
    let latest = current.latest_effective_on();
    if new.changes_standing(current) && change.effective_on < latest {
        e.add(
            "/effective_on",
            format!(
                "must be on or after {latest}, when the latest recorded change takes effect: a \
                 change cannot be inserted before a later one"
            ),
        );
    }
    e.into_vec()
}

/// A new certificate's first entry takes effect on its first valid day: a different
/// `effective_on` is refused.
pub fn first_entry(row: &Parsed) -> Option<FieldError> {
    match row.effective_on {
        Some(day) if day != row.certification.valid_from => Some(FieldError::at(
            "/effective_on",
            "a new certificate's first entry takes effect on valid_from",
        )),
        _ => None,
    }
}
