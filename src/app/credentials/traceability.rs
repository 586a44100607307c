//! A custody event as a UNTP Digital Traceability Event (DTE 0.6.1): extraction as an
//! `ObjectEvent` (action `add`), transfer as a `TransactionEvent`, transformation as a
//! `TransformationEvent`; lots as items and quantities in kilograms (`KGM`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{Issuer, start_of};
use crate::app::AppError;
use crate::db::DbConn;
use crate::domain::ids::{CustodyEventId, OrganisationId};
use crate::domain::quantity::MassUnit;
use crate::domain::vocabulary::CustodyEventType;
use crate::store::custody_event::{self, EventLot};
use crate::store::lot::{self, LotRecord};

/// The DTE of one of the organisation's events, issued at `now`; 404 for another
/// organisation's event or none.
pub fn issue(
    conn: &mut DbConn,
    issuer: &Issuer,
    organisation: OrganisationId,
    id: CustodyEventId,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let event = custody_event::find(conn, organisation, id)?
        .ok_or_else(|| AppError::not_found(format!("no custody event {id}")))?;
    let lot_ids: Vec<_> = event
        .lots
        .transferred
        .iter()
        .chain(&event.lots.inputs)
        .chain(&event.lots.outputs)
        .map(|l| l.lot_id)
        .collect();
    let lots = lot::find_many(conn, organisation, &lot_ids)?;
    let lot_url = |l: &EventLot| issuer.url(&format!("/v1/lots/{}", l.lot_id));
    let lot_name = |l: &EventLot| match lots.get(&l.lot_id) {
        Some(LotRecord {
            external_ref,
            mineral,
            form,
            ..
        }) => format!("{} {} lot {external_ref}", mineral.as_str(), form.as_str()),
        None => format!("lot {}", l.lot_id),
    };
    let items = |list: &[EventLot]| -> Value {
        list.iter()
            .map(|l| json!({"type": ["Item"], "id": lot_url(l), "name": lot_name(l)}))
            .collect()
    };
    let quantities = |list: &[EventLot]| -> Value {
        list.iter()
            .map(|l| {
                let kg = l.mass().in_unit(MassUnit::Kg).text;
                json!({
                    "type": ["QuantityElement"],
                    "productId": lot_url(l),
                    "productName": lot_name(l),
                    "quantity": kg.parse::<f64>().unwrap_or(0.0),
                    "uom": "KGM",
                })
            })
            .collect()
    };
    let party_url =
        |p: Option<crate::domain::ids::PartyId>| p.map(|p| issuer.url(&format!("/v1/parties/{p}")));

    let mut subject = Map::new();
    let kind = match event.event_type {
        CustodyEventType::Extraction => "ObjectEvent",
        CustodyEventType::Transfer => "TransactionEvent",
        CustodyEventType::Transformation => "TransformationEvent",
    };
    subject.insert("type".into(), json!([kind, "Event"]));
    subject.insert(
        "id".into(),
        json!(issuer.url(&format!("/v1/custody-events/{}", event.id))),
    );
    subject.insert("processType".into(), json!(event.event_type.as_str()));
    subject.insert("eventTime".into(), json!(start_of(event.occurred_on)));
    if let Some(facility) = event.facility_id {
        subject.insert(
            "bizLocation".into(),
            json!(issuer.url(&format!("/v1/facilities/{facility}"))),
        );
    }
    match event.event_type {
        CustodyEventType::Extraction => {
            subject.insert("action".into(), json!("add"));
            subject.insert("bizStep".into(), json!("commissioning"));
            subject.insert("epcList".into(), items(&event.lots.outputs));
            subject.insert("quantityList".into(), quantities(&event.lots.outputs));
        }
        CustodyEventType::Transfer => {
            subject.insert("action".into(), json!("observe"));
            subject.insert("bizStep".into(), json!("shipping"));
            subject.insert(
                "sourceParty".into(),
                json!(party_url(event.from_party_id).unwrap_or_default()),
            );
            subject.insert(
                "destinationParty".into(),
                json!(party_url(event.to_party_id).unwrap_or_default()),
            );
            if let Some(document) = event.documents.first() {
                subject.insert(
                    "bizTransaction".into(),
                    json!(format!("{}:{}", document.kind, document.reference)),
                );
            }
            subject.insert("epcList".into(), items(&event.lots.transferred));
            subject.insert("quantityList".into(), quantities(&event.lots.transferred));
        }
        CustodyEventType::Transformation => {
            subject.insert("action".into(), json!("observe"));
            subject.insert("bizStep".into(), json!("commissioning"));
            subject.insert("inputEPCList".into(), items(&event.lots.inputs));
            subject.insert("outputEPCList".into(), items(&event.lots.outputs));
            subject.insert("inputQuantityList".into(), quantities(&event.lots.inputs));
            subject.insert("outputQuantityList".into(), quantities(&event.lots.outputs));
        }
    }

    Ok(json!({
        "@context": Issuer::contexts("dte"),
        "type": ["DigitalTraceabilityEvent", "VerifiableCredential"],
        "id": issuer.url(&format!("/v1/custody-events/{}/credential", event.id)),
        "issuer": issuer.untp(),
        "validFrom": now.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "credentialSubject": [Value::Object(subject)],
    }))
}
