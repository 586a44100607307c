//! The `certification_lapsed` rule, shared by origin mines and by smelters and refiners.

use chrono::NaiveDate;

use super::{Evidence, EvidenceKind, FacilityFacts, RedFlag, RedFlagContext, flag};
use crate::domain::policy::{Acceptance, PolicyClass};
use crate::domain::vocabulary::{RedFlagKind, Severity};

/// `certification_lapsed` when the subject was accepted on one of the event date and the
/// purchase date but not on the other.
pub(super) fn lapse(
    context: &RedFlagContext<'_>,
    facts: &FacilityFacts,
    class: PolicyClass,
    (what, on, at_event): (&str, NaiveDate, Option<Acceptance>),
    mut evidence: Vec<Evidence>,
    flags: &mut Vec<RedFlag>,
) {
    let Some(purchased_on) = context.purchased_on else {
        return;
    };
    let at_purchase =
        context
            .policy
            .accepts(class, &facts.certificates, purchased_on, context.mineral);
    let id = &facts.facility_id;
    let message = match (&at_event, &at_purchase) {
        (Some(accepted), None) => format!(
            "{id} was accepted on its {what} date {on} (certificate {}) but not on the purchase date {purchased_on}",
            accepted.certificate_id
        ),
        (None, Some(accepted)) => format!(
            "{id} was not accepted on its {what} date {on}, only later on the purchase date {purchased_on} (certificate {})",
            accepted.certificate_id
        ),
        _ => return,
    };
    if let Some(accepted) = at_event.as_ref().or(at_purchase.as_ref()) {
        evidence.push(Evidence::new(
            EvidenceKind::Certificate,
            &accepted.certificate_id,
        ));
    }
    flags.push(flag(
        RedFlagKind::CertificationLapsed,
        Severity::Medium,
        message,
        evidence,
    ));
}
