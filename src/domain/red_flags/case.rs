//! A red flag's case: the organisation's response to the risk (the OECD Due Diligence
//! Guidance's step 3: a risk-management plan, mitigation, monitoring, escalation or
//! disengagement). The statuses, what a client may change, and how a change is read from a JSON
//! merge patch (RFC 7396) with every refused member named by its JSON pointer.

use chrono::NaiveDate;

use crate::domain::time::parse_date;
use crate::domain::validation::{FieldErrors, Invalid};

crate::text_enum! {
    /// Where the organisation stands with a red flag.
    pub enum CaseStatus {
        /// Raised, nobody has looked at it yet (every flag without a case is `open`).
        Open = "open",
        /// Being assessed.
        UnderReview = "under_review",
        /// A mitigation plan is being carried out while trade continues.
        Mitigating = "mitigating",
        /// The risk was mitigated.
        Resolved = "resolved",
        /// The organisation decided to accept the risk.
        AcceptedRisk = "accepted_risk",
        /// Referred up (senior management, the supplier's management, an industry programme).
        Escalated = "escalated",
        /// The organisation suspended or ended trade with the supplier.
        Disengaged = "disengaged",
        /// The flag's cause no longer holds: set by the system alone.
        Cleared = "cleared",
    }
}

crate::text_enum! {
    /// What an entry of a case's history is.
    pub enum CaseEntryKind {
        /// A note a client wrote.
        Note = "note",
        /// A change of the case (by a client, or by the system: null client).
        Change = "change",
    }
}

/// The longest assignee taken, in characters.
pub const MAX_ASSIGNEE: usize = 200;
/// The longest mitigation plan or note taken, in characters.
pub const MAX_TEXT: usize = 10_000;

/// The members a client may send.
pub const MEMBERS: [&str; 5] = ["status", "assignee", "due_date", "mitigation_plan", "note"];

/// A change a client asks for. `None`: the member was not sent; `Some(None)`: it was sent as
/// `null`, which removes the value (merge patch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseChange {
    pub status: Option<CaseStatus>,
    pub assignee: Option<Option<String>>,
    pub due_date: Option<Option<NaiveDate>>,
    pub mitigation_plan: Option<Option<String>>,
    pub note: Option<String>,
}

/// The editable part of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFields {
    pub status: CaseStatus,
    pub assignee: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub mitigation_plan: Option<String>,
}

fn text(value: &serde_json::Value, max: usize, nullable: bool) -> Result<Option<String>, String> {
    match value {
        serde_json::Value::Null if nullable => Ok(None),
        serde_json::Value::String(s) if s.trim().is_empty() => Err(if nullable {
            "must not be empty (null removes it)".to_owned()
        } else {
            "must not be empty".to_owned()
        }),
        serde_json::Value::String(s) if s.chars().count() > max => {
            Err(format!("is longer than {max} characters"))
        }
        serde_json::Value::String(s) => Ok(Some(s.clone())),
        _ if nullable => Err("must be a string or null".to_owned()),
        _ => Err("must be a string".to_owned()),
    }
}

fn status(value: &serde_json::Value) -> Result<CaseStatus, String> {
    let Some(text) = value.as_str() else {
        return Err("must be a string".to_owned());
    };
    match CaseStatus::parse(text) {
        Some(CaseStatus::Cleared) => Err(
            "`cleared` is set by the system when the flag's cause no longer holds; a client \
             may not set it"
                .to_owned(),
        ),
        Some(status) => Ok(status),
        None => Err(format!(
            "must be one of {}",
            CaseStatus::ALL
                .iter()
                .filter(|s| **s != CaseStatus::Cleared)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn date(value: &serde_json::Value) -> Result<Option<NaiveDate>, String> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => parse_date(s).map(Some),
        _ => Err("must be a date, YYYY-MM-DD, or null".to_owned()),
    }
}

/// Reads a merge patch of a case: an object of [`MEMBERS`]. Every refused member is named by
/// its pointer (`/status`, `/due_date`…); an unknown member is refused, never ignored.
pub fn read_change(patch: &serde_json::Value) -> Result<CaseChange, Invalid> {
    let Some(members) = patch.as_object() else {
        return Err(Invalid::at(
            "",
            "a merge patch (RFC 7396) is a JSON object of the members to change",
        ));
    };
    let mut errors = FieldErrors::new();
    let mut change = CaseChange::default();
    for (name, value) in members {
        let pointer = format!("/{name}");
        match name.as_str() {
            "status" => change.status = errors.check(pointer, status(value)),
            "assignee" => change.assignee = errors.check(pointer, text(value, MAX_ASSIGNEE, true)),
            "due_date" => change.due_date = errors.check(pointer, date(value)),
            "mitigation_plan" => {
                change.mitigation_plan = errors.check(pointer, text(value, MAX_TEXT, true));
            }
            "note" => {
                change.note = errors
                    .check(pointer, text(value, MAX_TEXT, false))
                    .flatten()
            }
            _ => errors.add(
                pointer,
                format!("is not a member of a case change ({})", MEMBERS.join(", ")),
            ),
        }
    }
    errors.into_result()?;
    Ok(change)
}

/// One change of a case, in words, for its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// The member: `status`, `assignee`, `due_date` or `mitigation_plan`.
    pub field: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl FieldChange {
    /// `status: open → under_review`; a plan is quoted whole, as set.
    pub fn describe(&self) -> String {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
        if self.field == "mitigation_plan" {
            return match &self.to {
                Some(plan) => format!("mitigation_plan set to: {plan}"),
                None => "mitigation_plan removed".to_owned(),
            };
        }
        format!(
            "{}: {} → {}",
            self.field,
            shown(&self.from),
            shown(&self.to)
        )
    }
}

/// Applies `change` to `current`: the new fields and what changed, in the order status,
/// assignee, due date, mitigation plan. A member sent with the value it already has is no
/// change. A cleared case keeps its status (the system reopens it when the cause returns).
pub fn apply(
    current: &CaseFields,
    change: &CaseChange,
) -> Result<(CaseFields, Vec<FieldChange>), Invalid> {
    let mut next = current.clone();
    let mut changes = Vec::new();
    if let Some(status) = change.status
        && status != current.status
    {
        if current.status == CaseStatus::Cleared {
            return Err(Invalid::at(
                "/status",
                "the flag's cause no longer holds and its case is cleared; it reopens by \
                 itself if the cause returns (notes, the assignee, the due date and the plan \
                 may still be changed)",
            ));
        }
        next.status = status;
        changes.push(FieldChange {
            field: "status",
            from: Some(current.status.to_string()),
            to: Some(status.to_string()),
        });
    }
    if let Some(assignee) = &change.assignee
        && *assignee != current.assignee
    {
        next.assignee = assignee.clone();
        changes.push(FieldChange {
            field: "assignee",
            from: current.assignee.clone(),
            to: assignee.clone(),
        });
    }
    if let Some(due) = change.due_date
        && due != current.due_date
    {
        next.due_date = due;
        changes.push(FieldChange {
            field: "due_date",
            from: current.due_date.map(|d| d.to_string()),
            to: due.map(|d| d.to_string()),
        });
    }
    if let Some(plan) = &change.mitigation_plan
        && *plan != current.mitigation_plan
    {
        next.mitigation_plan = plan.clone();
        changes.push(FieldChange {
            field: "mitigation_plan",
            from: current.mitigation_plan.clone(),
            to: plan.clone(),
        });
    }
    Ok((next, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pointers(invalid: Invalid) -> Vec<String> {
        invalid
            .0
            .into_iter()
            .map(|e| e.pointer.unwrap_or_default())
            .collect()
    }

    fn open() -> CaseFields {
        CaseFields {
            status: CaseStatus::Open,
            assignee: None,
            due_date: None,
            mitigation_plan: None,
        }
    }

    #[test]
    fn a_patch_is_read_member_by_member() {
        let change = read_change(&json!({
            "status": "mitigating", "assignee": "Ana Quispe", "due_date": "2027-01-31",
            "mitigation_plan": null, "note": "Supplier asked for its ASM programme."
        }))
        .unwrap();
        assert_eq!(change.status, Some(CaseStatus::Mitigating));
        assert_eq!(change.assignee, Some(Some("Ana Quispe".into())));
        assert_eq!(change.due_date, Some(NaiveDate::from_ymd_opt(2027, 1, 31)));
        assert_eq!(change.mitigation_plan, Some(None));
        assert_eq!(
            change.note.as_deref(),
            Some("Supplier asked for its ASM programme.")
        );
        assert_eq!(read_change(&json!({})).unwrap(), CaseChange::default());
    }

    #[test]
    fn every_bad_member_is_named() {
        let refused = read_change(&json!({
            "status": "cleared", "assignee": "x".repeat(201), "due_date": "2027-1-31",
            "mitigation_plan": "y".repeat(10_001), "note": "", "priority": 1
        }))
        .unwrap_err();
        let mut found = pointers(refused);
        found.sort();
        assert_eq!(
            found,
            [
                "/assignee",
                "/due_date",
                "/mitigation_plan",
                "/note",
                "/priority",
                "/status"
            ]
        );
        assert_eq!(
            pointers(read_change(&json!({"status": "closed"})).unwrap_err()),
            ["/status"]
        );
        assert_eq!(
            pointers(read_change(&json!({"status": null})).unwrap_err()),
            ["/status"]
        );
        assert_eq!(pointers(read_change(&json!([1])).unwrap_err()), [""]);
        // The limits themselves are taken.
        assert!(
            read_change(&json!({"assignee": "x".repeat(200), "note": "n".repeat(10_000)})).is_ok()
        );
    }

    #[test]
    fn changes_are_listed_and_sameness_is_no_change() {
        let change =
            read_change(&json!({"status": "open", "assignee": "Ana", "due_date": "2027-01-31"}))
                .unwrap();
        let (next, changes) = apply(&open(), &change).unwrap();
        assert_eq!(next.assignee.as_deref(), Some("Ana"));
        let described: Vec<String> = changes.iter().map(FieldChange::describe).collect();
        assert_eq!(
            described,
            ["assignee: (none) → Ana", "due_date: (none) → 2027-01-31"]
        );
    }

    #[test]
    fn a_cleared_case_keeps_its_status_but_takes_notes() {
        let cleared = CaseFields {
            status: CaseStatus::Cleared,
            ..open()
        };
        let refused = apply(
            &cleared,
            &read_change(&json!({"status": "resolved"})).unwrap(),
        );
        assert_eq!(pointers(refused.unwrap_err()), ["/status"]);
        let (next, changes) = apply(
            &cleared,
            &read_change(&json!({"assignee": "Ana", "note": "Closed out."})).unwrap(),
        )
        .unwrap();
        assert_eq!(next.status, CaseStatus::Cleared);
        assert_eq!(changes.len(), 1);
    }
}
