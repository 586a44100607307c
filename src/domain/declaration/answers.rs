//! The answers each question allows, as the templates' drop-down lists write them, and the
//! reading of what suppliers type into the template's own text.

use super::layout::Family;
use super::{CompanyTopic, Topic};
use crate::domain::vocabulary::Mineral;

const YES_NO: &[&str] = &["Yes", "No"];
const YES_NO_UNKNOWN: &[&str] = &["Yes", "No", "Unknown"];
const SHARES: &[&str] = &[
    "100%",
    "Greater than 90%",
    "Greater than 75%",
    "Greater than 50%",
    "50% or less",
    "None",
];
const SHARES_OR_NOT_SURVEYED: &[&str] = &[
    "100%",
    "Greater than 90%",
    "Greater than 75%",
    "Greater than 50%",
    "50% or less",
    "None",
    "Did not survey",
];

/// The answers a per-mineral question allows.
pub fn allowed(family: Family, topic: Topic, mineral: Mineral) -> &'static [&'static str] {
    match (family, topic) {
        (Family::Emrt1, Topic::IntentionallyAdded) => &[
            "Yes",
            "No",
            "Unknown",
            "Not applicable for this declaration",
        ],
        (Family::Emrt2, Topic::IntentionallyAdded) => &["Yes", "No", "Unknown", "Not declaring"],
        (Family::Emrt1, Topic::Cahra) if mineral == Mineral::Cobalt => {
            &["Yes", "No", "Unknown", "DRC only"]
        }
        (Family::Emrt1, Topic::Cahra) if mineral == Mineral::Mica => {
            &["Yes", "No", "Unknown", "India and/or Madagascar only"]
        }
        (Family::Emrt2, Topic::SuppliersResponded) => SHARES_OR_NOT_SURVEYED,
        (_, Topic::SuppliersResponded) => SHARES,
        (Family::Cmrt6 | Family::CmrtByLabel, Topic::IntentionallyAdded)
        | (Family::Cmrt6 | Family::CmrtByLabel, Topic::RemainsInProduct)
        | (Family::Cmrt6 | Family::CmrtByLabel, Topic::AllSmeltersIdentified)
        | (Family::Cmrt6 | Family::CmrtByLabel, Topic::AllSmeltersReported) => YES_NO,
        _ => YES_NO_UNKNOWN,
    }
}

/// The answers a company-level question allows.
pub fn allowed_company(family: Family, topic: CompanyTopic) -> &'static [&'static str] {
    let emrt = matches!(family, Family::Emrt1 | Family::Emrt2);
    match topic {
        CompanyTopic::SupplierSurvey if emrt => &[
            "Yes, in conformance with IPC1755 (e.g. EMRT)",
            "Yes, Using Other Format (Describe)",
            "No",
        ],
        CompanyTopic::SupplierSurvey => &[
            "Yes, in conformance with IPC1755 (e.g., CMRT)",
            "Yes, using other format (describe)",
            "No",
        ],
        CompanyTopic::AnnualDisclosure => &[
            "Yes, with the SEC",
            "Yes, with the EU",
            "Yes, with the SEC and the EU",
            "No",
        ],
        CompanyTopic::AuditedSmelters if family == Family::Emrt2 => {
            &["Yes", "Yes, when more processors are validated", "No"]
        }
        CompanyTopic::Other => &[],
        _ => YES_NO,
    }
}

/// The allowed answer a typed one is, compared without case and surrounding spaces; the share
/// `100%` is also written `1` (the number shown as a percentage in CMRT ≤ 6.22 and EMRT 1.x),
/// `1.0` or `100 %`. `None` when it is none of them.
pub fn canonical(typed: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let typed = typed.trim();
    let squeezed: String = typed.split_whitespace().collect::<Vec<_>>().join(" ");
    if allowed.contains(&"100%") && matches!(squeezed.as_str(), "1" | "1.0" | "100 %" | "100%") {
        return Some("100%");
    }
    allowed
        .iter()
        .find(|a| a.eq_ignore_ascii_case(&squeezed))
        .copied()
}

/// Whether an answer says no (a mineral not used needs no further answers).
pub fn is_no(answer: Option<&str>) -> bool {
    answer.is_some_and(|a| {
        a.eq_ignore_ascii_case("No")
            || a.eq_ignore_ascii_case("Not declaring")
            || a.eq_ignore_ascii_case("Not applicable for this declaration")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_answers_read_as_the_template_writes_them() {
        let shares = allowed(Family::Cmrt6, Topic::SuppliersResponded, Mineral::Gold);
        assert_eq!(canonical("1", shares), Some("100%"));
        assert_eq!(canonical(" 100 % ", shares), Some("100%"));
        assert_eq!(
            canonical("greater than 90%", shares),
            Some("Greater than 90%")
        );
        assert_eq!(canonical("maybe", shares), None);
        let yes_no = allowed(Family::Cmrt6, Topic::IntentionallyAdded, Mineral::Tin);
        assert_eq!(canonical("YES", yes_no), Some("Yes"));
        assert_eq!(canonical("Unknown", yes_no), None);
        let cahra = allowed(Family::Emrt1, Topic::Cahra, Mineral::Cobalt);
        assert_eq!(canonical("drc only", cahra), Some("DRC only"));
    }
}
