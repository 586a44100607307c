//! Capturing an EPCIS document: each event resolved against the catalog and the organisation's
//! lots, turned into a custody event and recorded with the same checks as
//! `POST /v1/custody-events` (`app::provenance::custody_events`), each refusal's pointer put
//! back into the document. One capture job records the outcome.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::render::default_form;
use crate::app::AppError;
use crate::app::provenance::custody_events::{self, Written};
use crate::app::provenance::lots;
use crate::db::DbConn;
use crate::domain::epcis::ErrorBehaviour;
use crate::domain::epcis::document::{
    CaptureDocument, CapturedEvent, DocumentEvent, LotRef, NamedAt, pointer_map, translate,
};
use crate::domain::epcis::gs1::{Named, URN_LOT};
use crate::domain::identifiers::{facility_identifier, party_identifier};
use crate::domain::ids::{
    CustodyEventId, EpcisCaptureId, FacilityId, LotId, OrganisationId, PartyId,
};
use crate::domain::lot::{AmountDraft, EventDraft, EventLine, LotLine};
use crate::domain::provenance::YieldTolerance;
use crate::domain::purchase::external_ref;
use crate::domain::quantity::QuantityInput;
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{
    CustodyEventType, FacilityIdentifierScheme, Mineral, PartyIdentifierScheme,
};
use crate::store::Rejection;
use crate::store::audit::{self, Actor};
use crate::store::epcis::{self as store, CaptureRecord, NewEvent};
use crate::store::facility::{self, Facility, FacilityIdentifier};
use crate::store::party::{self, PartyIdentifier};
use crate::store::{custody_event, lot};

/// The problem type of a refused event in a capture job (the REST binding's).
pub const VALIDATION_EXCEPTION: &str = "epcisException:ValidationException";

/// The outer transaction's outcome: a refusal under `rollback` undoes the events, not the job.
enum Outer {
    Rollback,
    Failed(AppError),
}

impl From<diesel::result::Error> for Outer {
    fn from(error: diesel::result::Error) -> Outer {
        Outer::Failed(error.into())
    }
}

impl From<AppError> for Outer {
    fn from(error: AppError) -> Outer {
        Outer::Failed(error)
    }
}

/// The problem of one refused event, its errors pointing into the document.
fn problem(event: &DocumentEvent, errors: Vec<(String, String)>) -> Value {
    let count = errors.len();
    json!({
        "type": VALIDATION_EXCEPTION,
        "title": "An event cannot be captured",
        "status": 422,
        "detail": format!("{count} error(s) in event {} ({})", event.index, event.event_id),
        "eventID": event.event_id,
        "pointer": event.base,
        "errors": errors
            .into_iter()
            .map(|(pointer, detail)| json!({"pointer": pointer, "detail": detail}))
            .collect::<Vec<_>>(),
    })
}

fn field_errors(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.pointer.clone().unwrap_or_default(), e.detail.clone()))
        .collect()
}

/// Captures a document: every event, in order, each written or refused; under `rollback` one
/// refusal undoes them all. Answers the finished job.
pub fn capture(
    conn: &mut DbConn,
    actor: &Actor,
    document: &CaptureDocument,
    behaviour: ErrorBehaviour,
    tolerance: YieldTolerance,
) -> Result<CaptureRecord, AppError> {
    use diesel::Connection;
    let organisation = actor.organisation_id;
    // One capture (and one custody-event write) at a time per organisation: two captures of
    // the same document then find each other's eventIDs instead of both writing them.
    crate::db::lock_for_organisation(conn, "custody_events", &organisation.to_string())?;
    let id = EpcisCaptureId::generate();
    let count = i32::try_from(document.events.len()).unwrap_or(i32::MAX);
    store::insert_capture(conn, organisation, id, behaviour.as_str(), count)?;
    let mut problems: Vec<Value> = Vec::new();
    let mut written: Vec<Written> = Vec::new();
    let mut duplicates = 0;
    let outcome = conn.transaction::<(), Outer, _>(|conn| {
        let mut seen: HashMap<&str, &Value> = HashMap::new();
        for event in &document.events {
            if let Some(earlier) = seen.get(event.event_id.as_str()) {
                if *earlier == &event.json {
                    duplicates += 1;
                } else {
                    problems.push(problem(
                        event,
                        vec![(
                            format!("{}/eventID", event.base),
                            "an earlier event of the document has this eventID and other content"
                                .into(),
                        )],
                    ));
                }
                continue;
            }
            seen.insert(&event.event_id, &event.json);
            match already_recorded(conn, organisation, event)? {
                Some(true) => {
                    duplicates += 1;
                    continue;
                }
                Some(false) => {
                    problems.push(problem(
                        event,
                        vec![(
                            format!("{}/eventID", event.base),
                            "an event with this eventID was captured already, with other \
                             content: an eventID names one event"
                                .into(),
                        )],
                    ));
                    continue;
                }
                None => {}
            }
            let read = match &event.read {
                Ok(read) => read,
                Err(errors) => {
                    problems.push(problem(event, field_errors(errors)));
                    continue;
                }
            };
            let result = conn.transaction::<Written, AppError, _>(|conn| {
                record_event(conn, organisation, id, event, read, document, tolerance)
            });
            match result {
                Ok(w) => written.push(w),
                Err(AppError::Rejected { rejections, .. }) => {
                    let map = pointer_map(read, &event.base);
                    let errors = rejections
                        .into_iter()
                        .map(|r| (epcis_pointer(&map, &r, &event.base), r.detail))
                        .collect();
                    problems.push(problem(event, errors));
                }
                Err(other) => return Err(Outer::Failed(other)),
            }
        }
        if !problems.is_empty() && behaviour == ErrorBehaviour::Rollback {
            return Err(Outer::Rollback);
        }
        Ok(())
    });
    match outcome {
        Ok(()) => {}
        Err(Outer::Rollback) => written.clear(),
        Err(Outer::Failed(error)) => return Err(error),
    }
    let success = problems.is_empty();
    let captured = i32::try_from(written.len()).unwrap_or(i32::MAX);
    let errors = Value::Array(problems);
    store::finish_capture(
        conn,
        organisation,
        id,
        success,
        (captured, duplicates),
        &errors,
    )?;
    let mut changes: Vec<audit::Change> = written
        .iter()
        .map(|w| audit::Change {
            action: "create",
            entity_type: audit::EntityType::CustodyEvent,
            entity_id: w.event.id.to_string(),
            changes: json!({
                "type": w.event.event_type,
                "occurred_on": w.event.occurred_on,
                "flags": w.flags.len(),
                "epcis_capture": id,
            }),
        })
        .collect();
    changes.push(audit::Change {
        action: "create",
        entity_type: audit::EntityType::EpcisCapture,
        entity_id: id.to_string(),
        changes: json!({
            "error_behaviour": behaviour.as_str(),
            "events": count,
            "captured": captured,
            "duplicates": duplicates,
            "success": success,
        }),
    });
    audit::record_many(conn, actor, &changes)?;
    store::find_capture(conn, organisation, id)?
        .ok_or_else(|| AppError::internal("a capture job just written cannot be read"))
}

/// A refusal's pointer in the document: already one (`/epcisBody/…`), or a custody event's
/// member put at the EPCIS member it comes from.
fn epcis_pointer(map: &BTreeMap<String, String>, rejection: &Rejection, base: &str) -> String {
    let pointer = rejection.pointer();
    if pointer.starts_with("/epcisBody") {
        pointer
    } else {
        translate(map, &pointer, base)
    }
}

/// Whether the organisation has this event already: `Some(true)` the same event (captured with
/// the same JSON, or a custody event whose `urn:uuid:` eventID this is), `Some(false)` another
/// event under the same eventID, `None` not at all.
fn already_recorded(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event: &DocumentEvent,
) -> Result<Option<bool>, AppError> {
    if let Some(stored) = store::find_event(conn, organisation, &event.event_id)? {
        return Ok(Some(stored.document == event.json));
    }
    if let Some(id) = event
        .event_id
        .strip_prefix("urn:uuid:")
        .and_then(|u| u.parse::<uuid::Uuid>().ok())
        && custody_event::find(conn, organisation, CustodyEventId(id))?.is_some()
    {
        return Ok(Some(true));
    }
    Ok(None)
}

fn refusal(pointer: &str, detail: impl Into<String>) -> Rejection {
    Rejection::at(pointer, detail)
}

fn rejected(rejections: Vec<Rejection>) -> AppError {
    AppError::Rejected {
        rejections,
        detail: None,
    }
}

/// The facility a location names.
fn resolve_facility(conn: &mut DbConn, at: &NamedAt) -> Result<Option<Facility>, AppError> {
    let id = match &at.named {
        Named::Id(id) => Some(FacilityId(*id)),
        Named::Gln(gln) => owner_of_facility(conn, FacilityIdentifierScheme::Gln, gln)?,
        Named::Identifier { scheme, value } => match FacilityIdentifierScheme::parse(scheme) {
            Some(scheme) => match facility_identifier(scheme, value) {
                Ok(value) => owner_of_facility(conn, scheme, &value)?,
                Err(_) => None,
            },
            None => None,
        },
    };
    match id {
        Some(id) => Ok(facility::find(conn, id)?),
        None => Ok(None),
    }
}

fn owner_of_facility(
    conn: &mut DbConn,
    scheme: FacilityIdentifierScheme,
    value: &str,
) -> Result<Option<FacilityId>, AppError> {
    let key = FacilityIdentifier {
        scheme,
        value: value.to_owned(),
    };
    Ok(facility::owners_of(conn, std::slice::from_ref(&key))?
        .get(&key)
        .copied())
}

/// The catalog party a source or destination names.
fn resolve_party(conn: &mut DbConn, at: &NamedAt) -> Result<Option<PartyId>, AppError> {
    let (scheme, value) = match &at.named {
        Named::Id(id) => {
            let id = PartyId(*id);
            return Ok(party::existing(conn, &[id])?.contains(&id).then_some(id));
        }
        Named::Gln(gln) => (PartyIdentifierScheme::Gln, gln.clone()),
        Named::Identifier { scheme, value } => {
            let Some(scheme) = PartyIdentifierScheme::parse(scheme) else {
                return Ok(None);
            };
            match party_identifier(scheme, value) {
                Ok(value) => (scheme, value),
                Err(_) => return Ok(None),
            }
        }
    };
    let key = PartyIdentifier { scheme, value };
    Ok(party::owners_of(conn, std::slice::from_ref(&key))?
        .get(&key)
        .copied())
}

/// The organisation's lot an identifier names: one it was captured under, or Oretrace's own
/// URN of one of the organisation's lots.
pub fn resolve_lot(
    conn: &mut DbConn,
    organisation: OrganisationId,
    identifier: &str,
) -> Result<Option<LotId>, AppError> {
    let mapped = store::lots_by_identifier(conn, organisation, &[identifier.to_owned()])?;
    if let Some(lot) = mapped.get(identifier) {
        return Ok(Some(*lot));
    }
    if let Some(id) = identifier
        .strip_prefix(URN_LOT)
        .and_then(|u| u.parse::<uuid::Uuid>().ok())
        && lot::find(conn, organisation, LotId(id))?.is_some()
    {
        return Ok(Some(LotId(id)));
    }
    Ok(None)
}

/// An external_ref for a lot first seen under `identifier`: the identifier itself when it fits.
fn derived_external_ref(identifier: &str) -> String {
    match external_ref(identifier) {
        Ok(r) => r,
        Err(_) => {
            use sha2::{Digest, Sha256};
            let digest = Sha256::digest(identifier.as_bytes());
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("epcis:{hex}")
        }
    }
}

fn draft(lot: LotId, lot_ref: &LotRef) -> AmountDraft {
    AmountDraft {
        lot,
        quantity: lot_ref.quantity.map(|q| QuantityInput {
            value: q.value.to_string().parse().unwrap_or(0.0),
            unit: q.unit,
        }),
    }
}

/// Resolves one read event and records it; its refusals point into the document.
fn record_event(
    conn: &mut DbConn,
    organisation: OrganisationId,
    capture: EpcisCaptureId,
    event: &DocumentEvent,
    read: &CapturedEvent,
    document: &CaptureDocument,
    tolerance: YieldTolerance,
) -> Result<Written, AppError> {
    let mut refusals = Vec::new();
    let facility = match &read.location {
        Some(at) => {
            let found = resolve_facility(conn, at)?;
            if found.is_none() {
                refusals.push(refusal(
                    &at.pointer,
                    format!(
                        "no facility of the catalog is known by {}: add its GLN (scheme gln) to \
                         the facility's identifiers, or name it by urn:oretrace:facility:…",
                        at.uri
                    ),
                ));
            }
            found
        }
        None => None,
    };
    let mut parties = [None, None];
    for (slot, at) in parties.iter_mut().zip([&read.from_party, &read.to_party]) {
        if let Some(at) = at {
            *slot = resolve_party(conn, at)?;
            if slot.is_none() {
                refusals.push(refusal(
                    &at.pointer,
                    format!(
                        "no party of the catalog is known by {}: add its GLN (scheme gln) or LEI \
                         to the party's identifiers",
                        at.uri
                    ),
                ));
            }
        }
    }
    // Lots used must be known; lots produced may be new.
    let mut resolved: HashMap<String, LotId> = HashMap::new();
    for lot_ref in read.lots.iter().chain(&read.inputs) {
        match resolve_lot(conn, organisation, &lot_ref.identifier)? {
            Some(lot) => {
                resolved.insert(lot_ref.identifier.clone(), lot);
            }
            None => refusals.push(refusal(
                &lot_ref.pointer,
                "the organisation has no lot known by this identifier: a lot is first seen as \
                 the output of an extraction or transformation",
            )),
        }
    }
    let mut new_outputs: Vec<&LotRef> = Vec::new();
    for lot_ref in &read.outputs {
        match resolve_lot(conn, organisation, &lot_ref.identifier)? {
            Some(lot) => {
                resolved.insert(lot_ref.identifier.clone(), lot);
            }
            None if !new_outputs
                .iter()
                .any(|o| o.identifier == lot_ref.identifier) =>
            {
                new_outputs.push(lot_ref)
            }
            None => {}
        }
    }
    if !refusals.is_empty() {
        return Err(rejected(refusals));
    }
    if !new_outputs.is_empty() {
        create_lots(
            conn,
            organisation,
            event,
            read,
            facility.as_ref(),
            &new_outputs,
            &mut resolved,
        )?;
    }
    let lot_of = |r: &LotRef| {
        resolved
            .get(&r.identifier)
            .copied()
            .unwrap_or(LotId(uuid::Uuid::nil()))
    };
    let draft_of = |list: &[LotRef]| -> Vec<AmountDraft> {
        list.iter().map(|r| draft(lot_of(r), r)).collect()
    };
    let transformation = read.event_type == CustodyEventType::Transformation;
    let draft = EventDraft {
        event_type: read.event_type,
        occurred_on: read.occurred_on,
        external_ref: read.external_ref.clone(),
        facility: facility.as_ref().map(|f| f.id),
        from_party: parties[0],
        to_party: parties[1],
        chain_of_custody: transformation.then_some(read.chain_of_custody),
        lots: draft_of(&read.lots),
        inputs: draft_of(&read.inputs),
        outputs: draft_of(&read.outputs),
        documents: read.documents.clone(),
    };
    let mut line = EventLine::validate(draft, "")
        .map_err(|errors| rejected(errors.into_iter().map(Rejection::from).collect()))?;
    // The exact quantities as read (the draft carries them as numbers).
    for (amounts, refs) in [
        (&mut line.lots, &read.lots),
        (&mut line.inputs, &read.inputs),
        (&mut line.outputs, &read.outputs),
    ] {
        for (amount, lot_ref) in amounts.iter_mut().zip(refs) {
            amount.quantity = lot_ref.quantity;
        }
    }
    let mut written = custody_events::record_without_audit(conn, organisation, &[line], tolerance)?;
    let written = written
        .pop()
        .ok_or_else(|| AppError::internal("no event written"))?;
    store::insert_event(
        conn,
        organisation,
        &NewEvent {
            event_id: &event.event_id,
            custody_event_id: written.event.id,
            capture_id: capture,
            event_type: &read.epcis_type,
            event_time: read.event_time,
            document: &event.json,
            context: &document.context,
        },
    )?;
    Ok(written)
}

/// Creates the lots an event produces that the organisation has never seen, and names each by
/// its identifier.
fn create_lots(
    conn: &mut DbConn,
    organisation: OrganisationId,
    event: &DocumentEvent,
    read: &CapturedEvent,
    facility: Option<&Facility>,
    new_outputs: &[&LotRef],
    resolved: &mut HashMap<String, LotId>,
) -> Result<(), AppError> {
    let master = &read.master;
    let mineral = match master.mineral {
        Some(m) => Some(m),
        None => {
            let single = facility
                .filter(|f| f.minerals.len() == 1)
                .map(|f| f.minerals[0]);
            match single {
                Some(m) => Some(m),
                None => inputs_mineral(conn, organisation, read, resolved)?,
            }
        }
    };
    let Some(mineral) = mineral else {
        return Err(rejected(vec![refusal(
            &format!("{}/ilmd", event.base),
            "the mineral of a new lot is not known: give it as oretrace:mineral in ilmd (the \
             facility has several minerals, and no input says)",
        )]));
    };
    let form = master
        .form
        .unwrap_or_else(|| default_form(read.event_type, facility.map(|f| f.kind)));
    let mut refusals = Vec::new();
    for lot_ref in new_outputs {
        let Some(quantity) = lot_ref.quantity else {
            refusals.push(refusal(
                &lot_ref.pointer,
                "a lot seen for the first time needs its quantity: list it in the quantity list \
                 with its mass",
            ));
            continue;
        };
        let reference = match (&master.external_ref, new_outputs.len()) {
            (Some(r), 1) => r.clone(),
            _ => derived_external_ref(&lot_ref.identifier),
        };
        let line = LotLine {
            external_ref: reference,
            mineral,
            form,
            quantity,
            holder: None,
            recycled: master.recycled,
        };
        let id = LotId::generate();
        match lots::create_with_id(conn, organisation, id, &line) {
            Ok(_) => {
                store::insert_lot_identifier(conn, organisation, &lot_ref.identifier, id)?;
                resolved.insert(lot_ref.identifier.clone(), id);
            }
            Err(AppError::Rejected { rejections, .. }) => {
                for r in rejections {
                    refusals.push(refusal(
                        &lot_ref.pointer,
                        format!("the new lot {}: {}", line.external_ref, r.detail),
                    ));
                }
            }
            Err(other) => return Err(other),
        }
    }
    if refusals.is_empty() {
        Ok(())
    } else {
        Err(rejected(refusals))
    }
}

/// The mineral all of an event's inputs share, if they do.
fn inputs_mineral(
    conn: &mut DbConn,
    organisation: OrganisationId,
    read: &CapturedEvent,
    resolved: &HashMap<String, LotId>,
) -> Result<Option<Mineral>, AppError> {
    let ids: Vec<LotId> = read
        .inputs
        .iter()
        .filter_map(|r| resolved.get(&r.identifier).copied())
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    let found = lot::find_many(conn, organisation, &ids)?;
    let mut minerals = found.values().map(|l| l.mineral);
    let first = minerals.next();
    Ok(first.filter(|m| minerals.all(|other| other == *m)))
}
