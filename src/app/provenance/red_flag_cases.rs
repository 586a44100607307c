//! A red flag's case (OECD step 3, respond to the risk): one flag read with its case and its
//! dated history; its case changed by a client (a JSON merge patch, every change an entry and
//! audited, in one transaction); and the cases kept in step with the flags a supply sweep finds
//! (`cleared` when the cause goes, `open` again when it returns). docs/PROVENANCE.md states the
//! rules.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::json;

use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{OrganisationId, PurchaseId, RedFlagId};
use crate::domain::provenance::YieldTolerance;
use crate::domain::red_flags::case::{self, CaseEntryKind, CaseFields, CaseStatus, FieldChange};
use crate::domain::red_flags::{RedFlag, flag_id};
use crate::domain::time;
use crate::store::audit::{self, Actor};
use crate::store::page::PageRequest;
use crate::store::provenance::{PurchaseScope, PurchaseWithLot, purchases_with_lots};
use crate::store::red_flag_case::{self as store, Case, Entry};
use crate::store::webhook::flag_state;

use super::red_flags::{self, PurchaseFlag, RedFlagFilter};

/// What the audit trail calls a case.
const ENTITY: &str = "red_flag_case";

/// One flag: as its chain raises it now, or as last seen when its cause is gone; its case and
/// history.
#[derive(Clone, Debug)]
pub struct FlagDetail {
    pub id: RedFlagId,
    pub purchase_id: PurchaseId,
    /// The purchase, while it exists and names a lot.
    pub purchase: Option<PurchaseWithLot>,
    /// The flag as computed now (`raised`), else as last seen by its case.
    pub flag: RedFlag,
    /// Whether the purchase's chain raises the flag now.
    pub raised: bool,
    /// The organisation's case, once a client changed it or wrote a note.
    pub case: Option<Case>,
    /// The case's entries, oldest first.
    pub entries: Vec<Entry>,
}

fn not_found(id: RedFlagId) -> AppError {
    AppError::not_found(format!("no red flag {id} in this organisation"))
}

/// A flag raised now, with its purchase and fingerprint.
type Raised = (PurchaseWithLot, RedFlag, String);

/// The flag `id` if the purchase's chain raises it now.
fn raised_on(
    conn: &mut DbConn,
    organisation: OrganisationId,
    purchase: PurchaseId,
    id: RedFlagId,
    tolerance: YieldTolerance,
) -> Result<Option<Raised>, AppError> {
    let Some((purchase, flags)) = red_flags::of_purchase(conn, organisation, purchase, tolerance)?
    else {
        return Ok(None);
    };
    Ok(flags
        .into_iter()
        .find(|(_, _, found)| *found == id)
        .map(|(flag, print, _)| (purchase, flag, print)))
}

/// Finds a flag that has no case yet: first among the flags the last sweep recorded (one
/// purchase traced), then, for a flag raised since, among every flag of the organisation.
fn locate(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: RedFlagId,
    tolerance: YieldTolerance,
) -> Result<Option<Raised>, AppError> {
    let announced = flag_state::announced(conn, organisation)?;
    let known = announced.iter().find_map(|f| {
        let purchase: PurchaseId = f.purchase_id.parse().ok()?;
        (flag_id(organisation, purchase, &f.fingerprint) == id).then_some(purchase)
    });
    if let Some(purchase) = known {
        return raised_on(conn, organisation, purchase, id, tolerance);
    }
    const PAGE: i64 = 500;
    let mut after = None;
    loop {
        let page = PageRequest { limit: PAGE, after };
        let mut flags = red_flags::list(
            conn,
            organisation,
            &RedFlagFilter::default(),
            &page,
            tolerance,
        )?;
        let more = flags.len() as i64 > PAGE;
        flags.truncate(PAGE as usize);
        after = flags.last().map(|f| f.key.clone());
        if let Some(found) = flags.into_iter().find(|f| f.id == id) {
            return Ok(Some((found.purchase, found.flag, found.fingerprint)));
        }
        if !more {
            return Ok(None);
        }
    }
}

/// The flag `id` of the organisation with its case and history; 404 when it is neither raised
/// now nor has a case (whatever another organisation has).
pub fn get(
    conn: &mut DbConn,
    organisation: OrganisationId,
    id: RedFlagId,
    tolerance: YieldTolerance,
) -> Result<FlagDetail, AppError> {
    let case = store::find(conn, organisation, id)?;
    let raised = match &case {
        Some(c) => raised_on(conn, organisation, c.purchase_id, id, tolerance)?,
        None => locate(conn, organisation, id, tolerance)?,
    };
    let entries = match &case {
        Some(_) => store::entries_of(conn, organisation, id)?,
        None => Vec::new(),
    };
    match (raised, case) {
        (Some((purchase, flag, _)), case) => Ok(FlagDetail {
            id,
            purchase_id: purchase.id,
            purchase: Some(purchase),
            flag,
            raised: true,
            case,
            entries,
        }),
        (None, Some(case)) => {
            let purchase = red_flags::of_purchase(conn, organisation, case.purchase_id, tolerance)?
                .map(|(p, _)| p);
            Ok(FlagDetail {
                id,
                purchase_id: case.purchase_id,
                purchase,
                flag: RedFlag {
                    kind: case.kind,
                    severity: case.severity,
                    message: case.message.clone(),
                    evidence: case.evidence.clone(),
                },
                raised: false,
                case: Some(case),
                entries,
            })
        }
        (None, None) => Err(not_found(id)),
    }
}

fn audited_changes(changes: &[FieldChange], note: Option<&String>) -> serde_json::Value {
    let mut members = serde_json::Map::new();
    for c in changes {
        members.insert(c.field.to_owned(), json!({"from": c.from, "to": c.to}));
    }
    if let Some(note) = note {
        members.insert("note".to_owned(), json!(note));
    }
    serde_json::Value::Object(members)
}

/// Changes the case of flag `id` with a JSON merge patch of `status`, `assignee`, `due_date`,
/// `mitigation_plan`, plus `note` (appended). The case is created from the flag as computed now
/// on the first change. Each change becomes a `change` entry, the note a `note` entry, all
/// under the actor's client id, and the whole is audited; a refused member (422 at its pointer)
/// writes nothing.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: RedFlagId,
    patch: &serde_json::Value,
    tolerance: YieldTolerance,
) -> Result<FlagDetail, AppError> {
    let organisation = actor.organisation_id;
    let change = case::read_change(patch)?;
    let now = time::now();
    let mut created = false;
    if !store::lock(conn, organisation, id)? {
        let Some((purchase, flag, fingerprint)) = locate(conn, organisation, id, tolerance)? else {
            return Err(not_found(id));
        };
        let fields = CaseFields {
            status: CaseStatus::Open,
            assignee: None,
            due_date: None,
            mitigation_plan: None,
        };
        // A patch that would change nothing of a flag nobody worked on opens no case.
        if case::apply(&fields, &change)?.1.is_empty() && change.note.is_none() {
            return get(conn, organisation, id, tolerance);
        }
        created = store::insert_if_absent(
            conn,
            &Case {
                organisation_id: organisation,
                id,
                purchase_id: purchase.id,
                fingerprint,
                kind: flag.kind,
                severity: flag.severity,
                message: flag.message,
                evidence: flag.evidence,
                fields,
                cleared_reason: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        if !store::lock(conn, organisation, id)? {
            return Err(AppError::internal(format!("case {id} vanished")));
        }
    }
    let mut current = store::find(conn, organisation, id)?
        .ok_or_else(|| AppError::internal(format!("case {id} vanished")))?;
    let (fields, changes) = case::apply(&current.fields, &change)?;
    let mut entries: Vec<(CaseEntryKind, String)> = changes
        .iter()
        .map(|c| (CaseEntryKind::Change, c.describe()))
        .collect();
    if let Some(note) = &change.note {
        entries.push((CaseEntryKind::Note, note.clone()));
    }
    if !changes.is_empty() {
        current.fields = fields;
        current.updated_at = now;
        store::save(conn, &current)?;
    }
    store::append(
        conn,
        organisation,
        id,
        now,
        actor.client_id.as_deref(),
        &entries,
    )?;
    if created || !entries.is_empty() {
        let mut audited = audited_changes(&changes, change.note.as_ref());
        if created {
            audited["purchase_id"] = json!(current.purchase_id);
            audited["kind"] = json!(current.kind);
            audited["fingerprint"] = json!(current.fingerprint);
        }
        audit::record(
            conn,
            actor,
            if created { "create" } else { "update" },
            ENTITY,
            &id.to_string(),
            &audited,
        )?;
    }
    get(conn, organisation, id, tolerance)
}

/// Brings the organisation's cases in step with the flags a sweep found, in the sweep's
/// transaction: a case whose flag is no longer raised becomes `cleared` with the reason; a
/// cleared case whose flag is raised again becomes `open`, its history kept; a case whose flag
/// is still raised keeps the flag's latest wording and severity. Each status change is a
/// `change` entry with no client (the system) and audited. Answers (cleared, reopened).
pub fn follow(
    conn: &mut DbConn,
    organisation: OrganisationId,
    found: &[PurchaseFlag],
    today: NaiveDate,
) -> Result<(usize, usize), AppError> {
    let cases = store::all(conn, organisation)?;
    if cases.is_empty() {
        return Ok((0, 0));
    }
    let now_raised: HashMap<RedFlagId, &PurchaseFlag> = found.iter().map(|f| (f.id, f)).collect();
    let system = Actor {
        organisation_id: organisation,
        client_id: None,
    };
    let mut counts = (0, 0);
    for seen in cases {
        let raised = now_raised.get(&seen.id).copied();
        let stale = match raised {
            None => seen.fields.status != CaseStatus::Cleared,
            Some(f) => {
                seen.fields.status == CaseStatus::Cleared
                    || seen.severity != f.flag.severity
                    || seen.message != f.flag.message
                    || seen.evidence != f.flag.evidence
            }
        };
        if !stale {
            continue;
        }
        // Read again under the row's lock: a client's change may have committed meanwhile.
        store::lock(conn, organisation, seen.id)?;
        let Some(mut case) = store::find(conn, organisation, seen.id)? else {
            continue;
        };
        let now = time::now();
        let mut entries = Vec::new();
        let mut action = None;
        match raised {
            None if case.fields.status != CaseStatus::Cleared => {
                let reason = if store::purchase_exists(conn, organisation, case.purchase_id)? {
                    format!(
                        "The cause no longer holds: on {today} the purchase's chain no longer \
                         raises this flag (found by the supply sweep)."
                    )
                } else {
                    format!(
                        "The cause no longer holds: the purchase no longer exists (found by the \
                         supply sweep on {today})."
                    )
                };
                entries.push(format!(
                    "status: {} → cleared. {reason}",
                    case.fields.status
                ));
                action = Some(("clear", case.fields.status));
                case.fields.status = CaseStatus::Cleared;
                case.cleared_reason = Some(reason);
                counts.0 += 1;
            }
            None => continue,
            Some(f) => {
                if case.fields.status == CaseStatus::Cleared {
                    entries.push(format!(
                        "status: cleared → open. The cause returned: on {today} the purchase's \
                         chain raises this flag again (found by the supply sweep)."
                    ));
                    action = Some(("reopen", CaseStatus::Cleared));
                    case.fields.status = CaseStatus::Open;
                    case.cleared_reason = None;
                    counts.1 += 1;
                }
                if case.severity != f.flag.severity {
                    entries.push(format!("severity: {} → {}", case.severity, f.flag.severity));
                }
                case.severity = f.flag.severity;
                case.message = f.flag.message.clone();
                case.evidence = f.flag.evidence.clone();
            }
        }
        case.updated_at = now;
        store::save(conn, &case)?;
        let entries: Vec<(CaseEntryKind, String)> = entries
            .into_iter()
            .map(|text| (CaseEntryKind::Change, text))
            .collect();
        store::append(conn, organisation, case.id, now, None, &entries)?;
        if let Some((action, from)) = action {
            audit::record(
                conn,
                &system,
                action,
                ENTITY,
                &case.id.to_string(),
                &json!({
                    "status": {"from": from, "to": case.fields.status},
                    "cleared_reason": case.cleared_reason,
                }),
            )?;
        }
    }
    Ok(counts)
}

/// Every flag of the purchases in `scope`, with its case and history, for a report: the flags
/// their chains raise now (in the list's order), then the cases of purchases in `scope` whose
/// cause is gone (`raised: false`, as last seen).
pub fn of_period(
    conn: &mut DbConn,
    organisation: OrganisationId,
    scope: &PurchaseScope,
    tolerance: YieldTolerance,
) -> Result<Vec<FlagDetail>, AppError> {
    let filter = RedFlagFilter {
        purchases: scope.clone(),
        ..RedFlagFilter::default()
    };
    let raised = red_flags::all(conn, organisation, &filter, tolerance)?;
    let mut cases: HashMap<RedFlagId, Case> = store::all(conn, organisation)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut details = Vec::with_capacity(raised.len());
    for f in raised {
        let case = cases.remove(&f.id);
        let entries = match &case {
            Some(_) => store::entries_of(conn, organisation, f.id)?,
            None => Vec::new(),
        };
        details.push(FlagDetail {
            id: f.id,
            purchase_id: f.purchase.id,
            purchase: Some(f.purchase),
            flag: f.flag,
            raised: true,
            case,
            entries,
        });
    }
    let mut gone: Vec<Case> = cases.into_values().collect();
    gone.sort_by_key(|c| (c.purchase_id, c.id));
    for case in gone {
        let purchase = purchases_with_lots(
            conn,
            organisation,
            scope,
            std::ops::Bound::Included(case.purchase_id),
            Some(1),
        )?
        .into_iter()
        .find(|p| p.id == case.purchase_id);
        let Some(purchase) = purchase else {
            continue;
        };
        let entries = store::entries_of(conn, organisation, case.id)?;
        details.push(FlagDetail {
            id: case.id,
            purchase_id: case.purchase_id,
            purchase: Some(purchase),
            flag: RedFlag {
                kind: case.kind,
                severity: case.severity,
                message: case.message.clone(),
                evidence: case.evidence.clone(),
            },
            raised: false,
            case: Some(case),
            entries,
        });
    }
    Ok(details)
}
