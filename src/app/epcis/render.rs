//! A recorded custody event as an EPCIS 2.0 event (the inverse of the capture's mapping, so
//! that what a query returns captures back into the same custody events), and the
//! `EPCISQueryDocument` around a page of events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::domain::epcis::document::{bt_reference, bt_type, uom_of};
use crate::domain::epcis::gs1::{URN_FACILITY, URN_LOT, URN_PARTY};
use crate::domain::epcis::{EPCIS_CONTEXT, NAMESPACE, PREFIX};
use crate::domain::ids::LotId;
use crate::domain::quantity::{Decimal, MassUnit};
use crate::domain::vocabulary::{CustodyEventType, FacilityKind, LotForm};
use crate::store::custody_event::{EventLot, EventRecord};
use crate::store::lot::LotRecord;

/// The eventID of a custody event that was not captured.
pub fn native_event_id(record: &EventRecord) -> String {
    format!("urn:uuid:{}", record.id)
}

fn term(name: &str) -> String {
    format!("{PREFIX}:{name}")
}

/// A number for JSON: an integer when it is one, else the shortest decimal.
fn number(value: Decimal) -> Value {
    if value.scale == 0
        && let Ok(i) = i64::try_from(value.digits)
    {
        return Value::from(i);
    }
    value
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// A lot's quantity as an EPCIS quantity and unit: troy ounces as APZ, a metric mass in the
/// largest unit that makes it whole (TNE, KGM, GRM), else in kilograms with decimals.
pub fn quantity(mg: i64, uozt: i64) -> (Value, &'static str) {
    if uozt != 0 {
        let value = Decimal {
            digits: i128::from(uozt),
            scale: 6,
        };
        return (number(normalise(value)), uom_of(MassUnit::TroyOz));
    }
    let mg = i128::from(mg);
    let (digits, scale, unit) = if mg % 1_000_000_000 == 0 {
        (mg / 1_000_000_000, 0, MassUnit::T)
    } else if mg % 1_000_000 == 0 {
        (mg / 1_000_000, 0, MassUnit::Kg)
    } else if mg % 1_000 == 0 {
        (mg / 1_000, 0, MassUnit::G)
    } else {
        (mg, 6, MassUnit::Kg)
    };
    (number(normalise(Decimal { digits, scale })), uom_of(unit))
}

fn normalise(mut value: Decimal) -> Decimal {
    while value.scale > 0 && value.digits % 10 == 0 {
        value.digits /= 10;
        value.scale -= 1;
    }
    value
}

/// The identifier a query shows for a lot: one it was captured under, else Oretrace's URN.
pub fn lot_uri(lot: LotId, identifiers: &HashMap<LotId, String>) -> String {
    identifiers
        .get(&lot)
        .cloned()
        .unwrap_or_else(|| format!("{URN_LOT}{lot}"))
}

fn quantity_list(lots: &[EventLot], identifiers: &HashMap<LotId, String>) -> Value {
    Value::Array(
        lots.iter()
            .map(|l| {
                let (value, uom) = quantity(l.quantity_mg, l.quantity_uozt);
                json!({"epcClass": lot_uri(l.lot_id, identifiers), "quantity": value, "uom": uom})
            })
            .collect(),
    )
}

/// The form a capture gives a lot it sees first at an event of this type at a facility of this
/// kind, when the event does not say.
pub fn default_form(event_type: CustodyEventType, kind: Option<FacilityKind>) -> LotForm {
    match (event_type, kind) {
        (CustodyEventType::Extraction, _) => LotForm::Ore,
        (_, Some(FacilityKind::Concentrator)) => LotForm::Concentrate,
        (_, Some(FacilityKind::Smelter)) => LotForm::Dore,
        (_, Some(FacilityKind::Refiner | FacilityKind::Recycler)) => LotForm::Metal,
        _ => LotForm::Product,
    }
}

/// A custody event that was not captured, as an EPCIS event.
pub fn event(
    record: &EventRecord,
    lots: &HashMap<LotId, LotRecord>,
    identifiers: &HashMap<LotId, String>,
) -> Value {
    let mut e = Map::new();
    let time = record
        .occurred_on
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(record.recorded_at);
    let epcis_type = match record.event_type {
        CustodyEventType::Transformation => "TransformationEvent",
        _ => "ObjectEvent",
    };
    e.insert("type".into(), json!(epcis_type));
    e.insert("eventID".into(), json!(native_event_id(record)));
    e.insert("eventTime".into(), json!(time_text(time)));
    e.insert("eventTimeZoneOffset".into(), json!("+00:00"));
    e.insert("recordTime".into(), json!(time_text(record.recorded_at)));
    let location = record
        .facility_id
        .map(|f| json!({"id": format!("{URN_FACILITY}{f}")}));
    let party = |p: crate::domain::ids::PartyId| format!("{URN_PARTY}{p}");
    match record.event_type {
        CustodyEventType::Extraction => {
            e.insert("action".into(), json!("ADD"));
            e.insert("bizStep".into(), json!("commissioning"));
            e.insert("disposition".into(), json!("active"));
            e.insert(
                "quantityList".into(),
                quantity_list(&record.lots.outputs, identifiers),
            );
        }
        CustodyEventType::Transfer => {
            e.insert("action".into(), json!("OBSERVE"));
            e.insert("bizStep".into(), json!("shipping"));
            e.insert("disposition".into(), json!("in_transit"));
            e.insert(
                "quantityList".into(),
                quantity_list(&record.lots.transferred, identifiers),
            );
        }
        CustodyEventType::Transformation => {
            e.insert("bizStep".into(), json!("commissioning"));
            e.insert("disposition".into(), json!("active"));
            e.insert(
                "inputQuantityList".into(),
                quantity_list(&record.lots.inputs, identifiers),
            );
            e.insert(
                "outputQuantityList".into(),
                quantity_list(&record.lots.outputs, identifiers),
            );
        }
    }
    if let Some(location) = location {
        e.insert("readPoint".into(), location.clone());
        e.insert("bizLocation".into(), location);
    }
    if !record.documents.is_empty() {
        let list: Vec<Value> = record
            .documents
            .iter()
            .map(
                |d| json!({"type": bt_type(&d.kind), "bizTransaction": bt_reference(&d.reference)}),
            )
            .collect();
        e.insert("bizTransactionList".into(), Value::Array(list));
    }
    if let Some(from) = record.from_party_id {
        e.insert(
            "sourceList".into(),
            json!([{"type": "owning_party", "source": party(from)}]),
        );
    }
    if let Some(to) = record.to_party_id {
        e.insert(
            "destinationList".into(),
            json!([{"type": "owning_party", "destination": party(to)}]),
        );
    }
    if record.event_type != CustodyEventType::Transfer
        && let Some(first) = record.lots.outputs.first()
        && let Some(lot) = lots.get(&first.lot_id)
    {
        let mut ilmd = Map::new();
        ilmd.insert(term("mineral"), json!(lot.mineral));
        ilmd.insert(term("form"), json!(lot.form));
        if lot.recycled {
            ilmd.insert(term("recycled"), json!(true));
        }
        if record.lots.outputs.len() == 1 {
            ilmd.insert(term("externalRef"), json!(lot.external_ref));
        }
        e.insert("ilmd".into(), Value::Object(ilmd));
    }
    if let Some(chain) = record.chain_of_custody {
        e.insert(term("chainOfCustody"), json!(chain));
    }
    if let Some(reference) = &record.external_ref {
        e.insert(term("eventRef"), json!(reference));
    }
    Value::Object(e)
}

/// A captured event as it was sent, with its `recordTime` when it had none.
pub fn captured(document: &Value, recorded_at: DateTime<Utc>) -> Value {
    let mut event = document.clone();
    if let Some(object) = event.as_object_mut() {
        object
            .entry("recordTime")
            .or_insert_with(|| json!(time_text(recorded_at)));
    }
    event
}

/// RFC 3339 with milliseconds, in UTC.
pub fn time_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An `EPCISQueryDocument` of `events`, its `@context` declaring Oretrace's terms and the
/// prefixes of the captured documents the events came from.
pub fn query_document(events: Vec<Value>, contexts: &[Value]) -> Value {
    let mut context = vec![json!(EPCIS_CONTEXT), json!({ PREFIX: NAMESPACE })];
    for entry in contexts {
        if !context.contains(entry) {
            context.push(entry.clone());
        }
    }
    json!({
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": time_text(crate::domain::time::now()),
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": events}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_written_whole_in_the_largest_unit() {
        assert_eq!(quantity(2_000_000_000, 0), (json!(2), "TNE"));
        assert_eq!(quantity(150_000_000, 0), (json!(150), "KGM"));
        assert_eq!(quantity(2_000, 0), (json!(2), "GRM"));
        assert_eq!(quantity(1_500, 0), (json!(0.0015), "KGM"));
        assert_eq!(quantity(1_234_567, 0), (json!(1.234567), "KGM"));
        assert_eq!(quantity(31_103, 1_000_000), (json!(1), "APZ"));
        assert_eq!(quantity(15_552, 500_000), (json!(0.5), "APZ"));
    }
}
