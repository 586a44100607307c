//! Reading an `EPCISDocument` (or an `EPCISQueryDocument`, as the REST binding allows) into
//! the custody events its events become. What the document must be as a whole (its type, its
//! `@context`, its event list) refuses the whole document; what one event must be refuses that
//! event, each refusal with a JSON pointer into the document
//! (`/epcisBody/eventList/3/inputQuantityList/0/uom`).
//!
//! | EPCIS event | becomes |
//! |---|---|
//! | `ObjectEvent` `ADD` | an extraction at the `bizLocation` (else `readPoint`), a mine |
//! | `ObjectEvent` `OBSERVE`, `bizStep` `shipping` or `receiving` | a transfer from the `owning_party` source to the `owning_party` destination |
//! | `TransactionEvent` `ADD`/`OBSERVE` with a `bizTransactionList` | a transfer, the business transactions its documents |
//! | `TransformationEvent` | a transformation at the `bizLocation` (else `readPoint`) |

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::gs1;
use super::{EPCIS_CONTEXT, NAMESPACE};
use crate::domain::lot::Document;
use crate::domain::quantity::{Decimal, MassUnit, Quantity};
use crate::domain::validation::FieldError;
use crate::domain::vocabulary::{ChainOfCustody, CustodyEventType, LotForm, Mineral};

/// The EPCIS event types.
pub const EVENT_TYPES: [&str; 5] = [
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
];

/// A UN/CEFACT Recommendation 20 unit of mass that Oretrace reads.
pub fn unit_of(uom: &str) -> Option<MassUnit> {
    match uom {
        "KGM" => Some(MassUnit::Kg),
        "GRM" => Some(MassUnit::G),
        "TNE" => Some(MassUnit::T),
        "APZ" => Some(MassUnit::TroyOz),
        _ => None,
    }
}

/// The UN/CEFACT code of a unit.
pub fn uom_of(unit: MassUnit) -> &'static str {
    match unit {
        MassUnit::Kg => "KGM",
        MassUnit::G => "GRM",
        MassUnit::T => "TNE",
        MassUnit::TroyOz => "APZ",
    }
}

/// CBV 2.0 business transaction types and the document kinds they are.
const DOCUMENT_KINDS: [(&str, &str); 4] = [
    ("po", "purchase_order"),
    ("inv", "invoice"),
    ("bol", "bill_of_lading"),
    ("desadv", "despatch_advice"),
];

/// The kind of document a CBV business transaction type is.
pub fn document_kind(bt_type: &str) -> Option<String> {
    let short = bt_type
        .strip_prefix("urn:epcglobal:cbv:btt:")
        .or_else(|| bt_type.strip_prefix("https://ref.gs1.org/cbv/BTT-"))
        .unwrap_or(bt_type);
    if let Some((_, kind)) = DOCUMENT_KINDS.iter().find(|(t, _)| *t == short) {
        return Some((*kind).to_owned());
    }
    bt_type
        .strip_prefix(gs1::URN_DOCUMENT_TYPE)
        .map(percent_decode)
}

/// The CBV business transaction type of a document kind.
pub fn bt_type(kind: &str) -> String {
    match DOCUMENT_KINDS.iter().find(|(_, k)| *k == kind) {
        Some((t, _)) => (*t).to_owned(),
        None => format!("{}{}", gs1::URN_DOCUMENT_TYPE, percent_encode(kind)),
    }
}

/// A document reference as a `bizTransaction` URI: itself when it is a URI already.
pub fn bt_reference(reference: &str) -> String {
    let is_uri = reference.contains(':')
        && !reference.chars().any(char::is_whitespace)
        && reference
            .split_once(':')
            .is_some_and(|(scheme, _)| is_scheme(scheme));
    if is_uri {
        reference.to_owned()
    } else {
        format!("{}{}", gs1::URN_DOCUMENT, percent_encode(reference))
    }
}

fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A lot named in an event: its canonical identifier, how much (none: the lot's whole
/// quantity) and where it is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRef {
    pub identifier: String,
    pub quantity: Option<Quantity>,
    /// The pointer of the member naming the lot (`…/quantityList/0/epcClass`, `…/epcList/1`).
    pub pointer: String,
    /// The pointer of its quantity, when it has one.
    pub quantity_pointer: Option<String>,
}

/// A location or party named in an event, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedAt {
    pub named: gs1::Named,
    pub uri: String,
    pub pointer: String,
}

/// What an event says of the lots it produces (its `ilmd`, Oretrace's terms).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LotMaster {
    pub mineral: Option<Mineral>,
    pub form: Option<LotForm>,
    pub external_ref: Option<String>,
    pub recycled: bool,
}

/// One event of the document, read.
#[derive(Clone, Debug)]
pub struct CapturedEvent {
    pub event_type: CustodyEventType,
    /// The EPCIS type (`ObjectEvent`…).
    pub epcis_type: String,
    pub event_time: DateTime<Utc>,
    /// The day of `eventTime` at `eventTimeZoneOffset`.
    pub occurred_on: NaiveDate,
    pub location: Option<NamedAt>,
    pub from_party: Option<NamedAt>,
    pub to_party: Option<NamedAt>,
    pub lots: Vec<LotRef>,
    pub inputs: Vec<LotRef>,
    pub outputs: Vec<LotRef>,
    /// The member the lots of each side are listed in (for refusals of a whole side).
    pub side_pointers: [String; 3],
    pub documents: Vec<Document>,
    pub chain_of_custody: ChainOfCustody,
    pub master: LotMaster,
    /// `oretrace:eventRef`: the organisation's own reference for the event.
    pub external_ref: Option<String>,
}

/// An event of the document: its id, its JSON as sent (with a generated `eventID` when it had
/// none) and what it becomes, or why it is refused.
#[derive(Clone, Debug)]
pub struct DocumentEvent {
    pub index: usize,
    /// `/epcisBody/eventList/3`.
    pub base: String,
    pub event_id: String,
    pub json: Value,
    pub read: Result<CapturedEvent, Vec<FieldError>>,
}

/// A document read: its events and the `@context` entries beyond EPCIS's own, kept with each
/// event so that the prefixes of its extension members still resolve when it is queried.
#[derive(Clone, Debug)]
pub struct CaptureDocument {
    pub events: Vec<DocumentEvent>,
    pub context: Vec<Value>,
}

/// Reads a document; refused as a whole (every reason, with pointers) when it is not an
/// EPCIS 2.0 document with at most `max_events` events.
pub fn read(document: &Value, max_events: usize) -> Result<CaptureDocument, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(doc) = document.as_object() else {
        return Err(vec![FieldError::at(
            "",
            "an EPCIS document is a JSON object",
        )]);
    };
    let doc_type = doc.get("type").and_then(Value::as_str);
    let list_pointer = match doc_type {
        Some("EPCISDocument") => "/epcisBody/eventList",
        Some("EPCISQueryDocument") => "/epcisBody/queryResults/resultsBody/eventList",
        _ => {
            errors.push(FieldError::at(
                "/type",
                "must be EPCISDocument (or EPCISQueryDocument)",
            ));
            "/epcisBody/eventList"
        }
    };
    match doc.get("schemaVersion").and_then(Value::as_str) {
        Some(v) if v == "2.0" || v.starts_with("2.0.") => {}
        _ => errors.push(FieldError::at("/schemaVersion", "must be 2.0 (EPCIS 2.0)")),
    }
    if doc
        .get("creationDate")
        .and_then(Value::as_str)
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .is_none()
    {
        errors.push(FieldError::at(
            "/creationDate",
            "the document's creation time (RFC 3339) is required",
        ));
    }
    let context = match doc.get("@context") {
        Some(Value::String(s)) if s == EPCIS_CONTEXT => Vec::new(),
        Some(Value::Array(entries))
            if entries.iter().any(|e| e.as_str() == Some(EPCIS_CONTEXT)) =>
        {
            entries
                .iter()
                .filter(|e| e.as_str() != Some(EPCIS_CONTEXT))
                .cloned()
                .collect()
        }
        _ => {
            errors.push(FieldError::at(
                "/@context",
                format!("the JSON-LD context must include {EPCIS_CONTEXT}"),
            ));
            Vec::new()
        }
    };
    let list = document.pointer(list_pointer).and_then(Value::as_array);
    let Some(list) = list else {
        errors.push(FieldError::at(list_pointer, "the event list is required"));
        return Err(errors);
    };
    if list.len() > max_events {
        errors.push(FieldError::at(
            list_pointer,
            format!("at most {max_events} events in one capture"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let prefixes = prefixes(&context);
    let events = list
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let base = format!("{list_pointer}/{index}");
            let mut json = event.clone();
            let event_id = match json.get("eventID").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => {
                    let id = generated_event_id(event);
                    if let Some(object) = json.as_object_mut() {
                        object.insert("eventID".into(), Value::String(id.clone()));
                    }
                    id
                }
            };
            let read = read_event(event, &base, &prefixes);
            DocumentEvent {
                index,
                base,
                event_id,
                json,
                read,
            }
        })
        .collect();
    Ok(CaptureDocument { events, context })
}

/// The prefixes a context maps to Oretrace's namespace.
fn prefixes(context: &[Value]) -> Vec<String> {
    context
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.iter())
        .filter(|(_, v)| v.as_str() == Some(NAMESPACE))
        .map(|(k, _)| k.clone())
        .collect()
}

/// An eventID for an event sent without one: a name-based UUID (v5) of its JSON, so that the
/// same event sent again has the same id.
fn generated_event_id(event: &Value) -> String {
    let text = serde_json::to_string(event).unwrap_or_default();
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, text.as_bytes())
    )
}

/// Reads one event, collecting every refusal.
struct Reader<'a> {
    event: &'a Map<String, Value>,
    base: &'a str,
    prefixes: &'a [String],
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn refuse(&mut self, member: &str, detail: impl Into<String>) {
        self.errors
            .push(FieldError::at(format!("{}{member}", self.base), detail));
    }

    fn str(&self, member: &str) -> Option<&str> {
        self.event.get(member).and_then(Value::as_str)
    }

    /// An Oretrace term of `object` (under any prefix the context maps to its namespace).
    fn term<'v>(&self, object: &'v Map<String, Value>, name: &str) -> Option<(String, &'v Value)> {
        self.prefixes.iter().find_map(|p| {
            let key = format!("{p}:{name}");
            object.get(&key).map(|v| (key, v))
        })
    }

    fn named(
        &mut self,
        uri: Option<&str>,
        pointer: &str,
        read: fn(&str) -> Result<gs1::Named, String>,
    ) -> Option<NamedAt> {
        let uri = uri?;
        match read(uri) {
            Ok(named) => Some(NamedAt {
                named,
                uri: uri.to_owned(),
                pointer: format!("{}{pointer}", self.base),
            }),
            Err(e) => {
                self.refuse(pointer, e);
                None
            }
        }
    }

    /// The location: `bizLocation`, else `readPoint`.
    fn location(&mut self) -> Option<NamedAt> {
        for member in ["bizLocation", "readPoint"] {
            if let Some(id) = self
                .event
                .get(member)
                .and_then(|l| l.get("id"))
                .and_then(Value::as_str)
            {
                return self.named(Some(id), &format!("/{member}/id"), gs1::location);
            }
        }
        None
    }

    /// The `owning_party` (else `possessing_party`) of `sourceList` or `destinationList`.
    fn party(&mut self, list: &str, member: &str) -> Option<NamedAt> {
        let entries = self.event.get(list).and_then(Value::as_array)?.clone();
        for wanted in ["owning_party", "possessing_party"] {
            for (i, entry) in entries.iter().enumerate() {
                let kind = entry
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let kind = kind
                    .strip_prefix("urn:epcglobal:cbv:sdt:")
                    .or_else(|| kind.strip_prefix("https://ref.gs1.org/cbv/SDT-"))
                    .unwrap_or(kind);
                if kind == wanted {
                    let uri = entry.get(member).and_then(Value::as_str);
                    return self.named(uri, &format!("/{list}/{i}/{member}"), gs1::party);
                }
            }
        }
        None
    }

    /// The lots of an EPC list (whole lots) and a quantity list.
    fn lots(&mut self, epc_list: &str, quantity_list: &str) -> Vec<LotRef> {
        let mut lots = Vec::new();
        if let Some(epcs) = self.event.get(epc_list).and_then(Value::as_array).cloned() {
            for (i, epc) in epcs.iter().enumerate() {
                let pointer = format!("/{epc_list}/{i}");
                match epc.as_str().map(gs1::lot_identifier) {
                    Some(Ok(identifier)) => lots.push(LotRef {
                        identifier,
                        quantity: None,
                        pointer: format!("{}{pointer}", self.base),
                        quantity_pointer: None,
                    }),
                    Some(Err(e)) => self.refuse(&pointer, e),
                    None => self.refuse(&pointer, "an EPC is a URI"),
                }
            }
        }
        let elements = self
            .event
            .get(quantity_list)
            .and_then(Value::as_array)
            .cloned();
        for (i, element) in elements.iter().flatten().enumerate() {
            let at = format!("/{quantity_list}/{i}");
            let class = element.get("epcClass").and_then(Value::as_str);
            let identifier = match class.map(gs1::lot_identifier) {
                Some(Ok(identifier)) => Some(identifier),
                Some(Err(e)) => {
                    self.refuse(&format!("{at}/epcClass"), e);
                    None
                }
                None => {
                    self.refuse(&format!("{at}/epcClass"), "the EPC class is required");
                    None
                }
            };
            let quantity = self.quantity(element, &at);
            if let (Some(identifier), Some(quantity)) = (identifier, quantity) {
                lots.push(LotRef {
                    identifier,
                    quantity: Some(quantity),
                    pointer: format!("{}{at}/epcClass", self.base),
                    quantity_pointer: Some(format!("{}{at}/quantity", self.base)),
                });
            }
        }
        lots
    }

    /// The mass of a quantity element: `quantity` in a UN/CEFACT unit of mass.
    fn quantity(&mut self, element: &Value, at: &str) -> Option<Quantity> {
        let unit = match element.get("uom").and_then(Value::as_str) {
            None => {
                self.refuse(
                    &format!("{at}/uom"),
                    "give the unit of mass (KGM, GRM, TNE or APZ): a count of items is no mass",
                );
                return None;
            }
            Some(uom) => match unit_of(uom) {
                Some(unit) => unit,
                None => {
                    self.refuse(
                        &format!("{at}/uom"),
                        format!(
                            "{uom} is not a unit of mass Oretrace reads: KGM (kilogram), GRM \
                             (gram), TNE (tonne) or APZ (troy ounce)"
                        ),
                    );
                    return None;
                }
            },
        };
        let value = match element.get("quantity") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(Decimal {
                    digits: i128::from(i),
                    scale: 0,
                }),
                None => n.as_f64().and_then(Decimal::from_f64),
            },
            _ => None,
        };
        let Some(value) = value else {
            self.refuse(&format!("{at}/quantity"), "the quantity is a number");
            return None;
        };
        Quantity::new(value, unit)
            .map_err(|e| self.refuse(&format!("{at}/quantity"), e.to_string()))
            .ok()
    }

    fn documents(&mut self) -> Vec<Document> {
        let Some(list) = self
            .event
            .get("bizTransactionList")
            .and_then(Value::as_array)
            .cloned()
        else {
            return Vec::new();
        };
        let mut documents = Vec::new();
        for (i, entry) in list.iter().enumerate() {
            let reference = entry.get("bizTransaction").and_then(Value::as_str);
            let Some(reference) = reference else {
                self.refuse(
                    &format!("/bizTransactionList/{i}/bizTransaction"),
                    "the business transaction's URI is required",
                );
                continue;
            };
            let reference = match reference.strip_prefix(gs1::URN_DOCUMENT) {
                Some(encoded) => percent_decode(encoded),
                None => reference.to_owned(),
            };
            let kind = match entry.get("type").and_then(Value::as_str) {
                None => "business_transaction".to_owned(),
                Some(t) => document_kind(t).unwrap_or_else(|| t.to_owned()),
            };
            if kind.chars().count() > 50 {
                self.refuse(
                    &format!("/bizTransactionList/{i}/type"),
                    "a document type Oretrace keeps has at most 50 characters: use a CBV type \
                     (po, inv, bol, desadv…)",
                );
                continue;
            }
            if reference.chars().count() > 200 {
                self.refuse(
                    &format!("/bizTransactionList/{i}/bizTransaction"),
                    "at most 200 characters",
                );
                continue;
            }
            documents.push(Document { kind, reference });
        }
        documents
    }

    fn master(&mut self) -> LotMaster {
        let mut master = LotMaster::default();
        let Some(ilmd) = self.event.get("ilmd").and_then(Value::as_object) else {
            return master;
        };
        if let Some((key, value)) = self.term(ilmd, "mineral") {
            match value.as_str().and_then(Mineral::parse) {
                Some(m) => master.mineral = Some(m),
                None => self.refuse(
                    &format!("/ilmd/{key}"),
                    format!("must be one of {}", Mineral::expected()),
                ),
            }
        }
        if let Some((key, value)) = self.term(ilmd, "form") {
            match value.as_str().and_then(LotForm::parse) {
                Some(f) => master.form = Some(f),
                None => self.refuse(
                    &format!("/ilmd/{key}"),
                    format!("must be one of {}", LotForm::expected()),
                ),
            }
        }
        if let Some((key, value)) = self.term(ilmd, "externalRef") {
            match value.as_str().map(crate::domain::purchase::external_ref) {
                Some(Ok(r)) => master.external_ref = Some(r),
                Some(Err(e)) => self.refuse(&format!("/ilmd/{key}"), e),
                None => self.refuse(&format!("/ilmd/{key}"), "must be a string"),
            }
        }
        if let Some((key, value)) = self.term(ilmd, "recycled") {
            match value.as_bool() {
                Some(b) => master.recycled = b,
                None => self.refuse(&format!("/ilmd/{key}"), "must be true or false"),
            }
        }
        master
    }

    /// `eventTime` at `eventTimeZoneOffset`.
    fn time(&mut self) -> Option<(DateTime<Utc>, NaiveDate)> {
        let time = self
            .str("eventTime")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let offset = self.str("eventTimeZoneOffset").and_then(offset);
        if time.is_none() {
            self.refuse("/eventTime", "the event's time (RFC 3339) is required");
        }
        if offset.is_none() {
            self.refuse(
                "/eventTimeZoneOffset",
                "the time zone offset (such as +02:00) is required",
            );
        }
        let (time, offset) = (time?, offset?);
        let day = time.with_timezone(&offset).date_naive();
        Some((time.with_timezone(&Utc), day))
    }
}

fn offset(text: &str) -> Option<FixedOffset> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || !matches!(bytes[0], b'+' | b'-') || bytes[3] != b':' {
        return None;
    }
    let hours: i32 = text[1..3].parse().ok()?;
    let minutes: i32 = text[4..6].parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    let seconds = (hours * 60 + minutes) * 60;
    if bytes[0] == b'-' {
        FixedOffset::west_opt(seconds)
    } else {
        FixedOffset::east_opt(seconds)
    }
}

/// Reads one event into the custody event it becomes.
fn read_event(
    event: &Value,
    base: &str,
    prefixes: &[String],
) -> Result<CapturedEvent, Vec<FieldError>> {
    let Some(object) = event.as_object() else {
        return Err(vec![FieldError::at(base, "an event is a JSON object")]);
    };
    let mut r = Reader {
        event: object,
        base,
        prefixes,
        errors: Vec::new(),
    };
    let epcis_type = r.str("type").unwrap_or_default().to_owned();
    if !EVENT_TYPES.contains(&epcis_type.as_str()) {
        r.refuse(
            "/type",
            format!("must be one of {}", EVENT_TYPES.join(", ")),
        );
        return Err(r.errors);
    }
    if object.contains_key("errorDeclaration") {
        r.refuse(
            "/errorDeclaration",
            "Oretrace does not take error declarations: a recorded event is corrected by a new \
             event",
        );
    }
    if let Some(id) = object.get("eventID")
        && !id.as_str().is_some_and(|s| s.contains(':'))
    {
        r.refuse("/eventID", "an eventID is a URI");
    }
    let time = r.time();
    let action = r.str("action").map(str::to_owned);
    let biz_step = r.str("bizStep").map(|s| {
        s.strip_prefix("urn:epcglobal:cbv:bizstep:")
            .or_else(|| s.strip_prefix("https://ref.gs1.org/cbv/BizStep-"))
            .unwrap_or(s)
            .to_owned()
    });
    let needs_action = matches!(epcis_type.as_str(), "ObjectEvent" | "TransactionEvent");
    if needs_action && !matches!(action.as_deref(), Some("ADD" | "OBSERVE" | "DELETE")) {
        r.refuse("/action", "must be ADD, OBSERVE or DELETE");
    }
    let event_type = match (epcis_type.as_str(), action.as_deref()) {
        ("ObjectEvent", Some("ADD")) => Some(CustodyEventType::Extraction),
        ("ObjectEvent", Some("OBSERVE")) => {
            if matches!(biz_step.as_deref(), Some("shipping" | "receiving")) {
                Some(CustodyEventType::Transfer)
            } else {
                r.refuse(
                    "/bizStep",
                    "Oretrace records an OBSERVE ObjectEvent as a transfer: its bizStep is \
                     shipping or receiving",
                );
                None
            }
        }
        ("TransactionEvent", Some("ADD" | "OBSERVE")) => {
            if object
                .get("bizTransactionList")
                .and_then(Value::as_array)
                .is_some_and(|l| !l.is_empty())
            {
                Some(CustodyEventType::Transfer)
            } else {
                r.refuse(
                    "/bizTransactionList",
                    "a TransactionEvent names its business transactions",
                );
                None
            }
        }
        ("ObjectEvent" | "TransactionEvent", Some("DELETE")) => {
            r.refuse(
                "/action",
                "Oretrace records no DELETE: custody events are never withdrawn",
            );
            None
        }
        ("TransformationEvent", _) => Some(CustodyEventType::Transformation),
        ("AggregationEvent" | "AssociationEvent", _) => {
            r.refuse(
                "/type",
                "Oretrace records ObjectEvent, TransactionEvent and TransformationEvent: \
                 aggregations and associations change no custody",
            );
            None
        }
        _ => None,
    };
    let (lots, inputs, outputs, side_pointers) = match event_type {
        Some(CustodyEventType::Transformation) => (
            Vec::new(),
            r.lots("inputEPCList", "inputQuantityList"),
            r.lots("outputEPCList", "outputQuantityList"),
            [
                format!("{base}/quantityList"),
                side(object, base, "inputQuantityList", "inputEPCList"),
                side(object, base, "outputQuantityList", "outputEPCList"),
            ],
        ),
        Some(CustodyEventType::Extraction) => (
            Vec::new(),
            Vec::new(),
            r.lots("epcList", "quantityList"),
            [
                format!("{base}/quantityList"),
                format!("{base}/quantityList"),
                side(object, base, "quantityList", "epcList"),
            ],
        ),
        _ => (
            r.lots("epcList", "quantityList"),
            Vec::new(),
            Vec::new(),
            [
                side(object, base, "quantityList", "epcList"),
                format!("{base}/quantityList"),
                format!("{base}/quantityList"),
            ],
        ),
    };
    // A transfer happens between parties, wherever it is read: its location is not resolved.
    let location = if matches!(
        event_type,
        Some(CustodyEventType::Extraction | CustodyEventType::Transformation)
    ) {
        r.location()
    } else {
        None
    };
    let (from_party, to_party) = match event_type {
        Some(CustodyEventType::Transfer) => (
            r.party("sourceList", "source"),
            r.party("destinationList", "destination"),
        ),
        Some(CustodyEventType::Extraction) => (None, r.party("destinationList", "destination")),
        _ => (None, None),
    };
    if event_type == Some(CustodyEventType::Transfer) {
        if from_party.is_none() && !r.errors.iter().any(|e| pointer_in(e, "/sourceList")) {
            r.refuse(
                "/sourceList",
                "a transfer names the party handing over: an owning_party (or possessing_party) \
                 source",
            );
        }
        if to_party.is_none() && !r.errors.iter().any(|e| pointer_in(e, "/destinationList")) {
            r.refuse(
                "/destinationList",
                "a transfer names the party receiving: an owning_party (or possessing_party) \
                 destination",
            );
        }
    }
    if matches!(
        event_type,
        Some(CustodyEventType::Extraction | CustodyEventType::Transformation)
    ) && location.is_none()
        && !r
            .errors
            .iter()
            .any(|e| pointer_in(e, "/readPoint") || pointer_in(e, "/bizLocation"))
    {
        r.refuse(
            "/bizLocation",
            "the facility where it happened is required (bizLocation or readPoint)",
        );
    }
    let documents = r.documents();
    let master = r.master();
    let mut chain_of_custody = ChainOfCustody::MassBalance;
    if let Some((key, value)) = r.term(object, "chainOfCustody") {
        match value.as_str().and_then(ChainOfCustody::parse) {
            Some(c) => chain_of_custody = c,
            None => r.refuse(
                &format!("/{key}"),
                format!("must be one of {}", ChainOfCustody::expected()),
            ),
        }
    }
    let mut external_ref = None;
    if let Some((key, value)) = r.term(object, "eventRef") {
        match value.as_str().map(crate::domain::purchase::external_ref) {
            Some(Ok(v)) => external_ref = Some(v),
            Some(Err(e)) => r.refuse(&format!("/{key}"), e),
            None => r.refuse(&format!("/{key}"), "must be a string"),
        }
    }
    match (event_type, time, r.errors.is_empty()) {
        (Some(event_type), Some((event_time, occurred_on)), true) => Ok(CapturedEvent {
            event_type,
            epcis_type,
            event_time,
            occurred_on,
            location,
            from_party,
            to_party,
            lots,
            inputs,
            outputs,
            side_pointers,
            documents,
            chain_of_custody,
            master,
            external_ref,
        }),
        _ => Err(r.errors),
    }
}

fn pointer_in(error: &FieldError, member: &str) -> bool {
    error.pointer.as_deref().is_some_and(|p| p.contains(member))
}

/// The member listing one side's lots: the quantity list when given, else the EPC list.
fn side(object: &Map<String, Value>, base: &str, quantities: &str, epcs: &str) -> String {
    if object.contains_key(quantities) || !object.contains_key(epcs) {
        format!("{base}/{quantities}")
    } else {
        format!("{base}/{epcs}")
    }
}

/// The pointers of a read event's members, by the member of a custody event they stand for, to
/// put refusals of the custody event at the member of the EPCIS event they come from.
pub fn pointer_map(event: &CapturedEvent, base: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let location = event
        .location
        .as_ref()
        .map(|l| l.pointer.clone())
        .unwrap_or_else(|| format!("{base}/bizLocation"));
    map.insert("/facility_id".to_owned(), location);
    if let Some(p) = &event.from_party {
        map.insert("/from_party_id".into(), p.pointer.clone());
    }
    let to = event
        .to_party
        .as_ref()
        .map(|p| p.pointer.clone())
        .unwrap_or_else(|| format!("{base}/destinationList"));
    map.insert("/to_party_id".into(), to);
    map.insert("/occurred_on".into(), format!("{base}/eventTime"));
    map.insert("/external_ref".into(), format!("{base}/eventID"));
    map.insert("/chain_of_custody".into(), base.to_owned());
    map.insert("/documents".into(), format!("{base}/bizTransactionList"));
    for (member, list, pointer) in [
        ("lots", &event.lots, &event.side_pointers[0]),
        ("inputs", &event.inputs, &event.side_pointers[1]),
        ("outputs", &event.outputs, &event.side_pointers[2]),
    ] {
        map.insert(format!("/{member}"), pointer.clone());
        for (i, lot) in list.iter().enumerate() {
            map.insert(format!("/{member}/{i}"), lot.pointer.clone());
            map.insert(format!("/{member}/{i}/lot_id"), lot.pointer.clone());
            let quantity = lot.quantity_pointer.clone().unwrap_or(lot.pointer.clone());
            map.insert(format!("/{member}/{i}/quantity"), quantity);
        }
    }
    map
}

/// Where a refusal of the custody event at `pointer` points in the EPCIS document: the
/// longest mapped prefix, else the event itself.
pub fn translate(map: &BTreeMap<String, String>, pointer: &str, base: &str) -> String {
    let mut prefix = pointer;
    loop {
        if let Some(target) = map.get(prefix) {
            return target.clone();
        }
        match prefix.rfind('/') {
            Some(at) if at > 0 => prefix = &prefix[..at],
            _ => return base.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(events: Value) -> Value {
        json!({
            "@context": [EPCIS_CONTEXT, {"oretrace": NAMESPACE}],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-01-01T00:00:00Z",
            "epcisBody": {"eventList": events}
        })
    }

    fn pointers(errors: &[FieldError]) -> Vec<String> {
        errors.iter().filter_map(|e| e.pointer.clone()).collect()
    }

    #[test]
    fn a_transformation_reads_its_quantities_and_refuses_a_count() {
        let doc = document(json!([{
            "type": "TransformationEvent",
            "eventTime": "2026-03-01T23:30:00Z",
            "eventTimeZoneOffset": "+02:00",
            "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"},
            "inputQuantityList": [
                {"epcClass": "urn:epc:class:lgtin:0614141.077777.987", "quantity": 2.5, "uom": "TNE"},
                {"epcClass": "urn:epc:class:lgtin:0614141.077777.988", "quantity": 30}
            ],
            "outputQuantityList": [
                {"epcClass": "https://id.gs1.org/01/00614141777778/10/X1", "quantity": 10, "uom": "LBR"}
            ]
        }]));
        let read = read(&doc, 10).unwrap();
        let errors = read.events[0].read.clone().unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/epcisBody/eventList/0/inputQuantityList/1/uom",
                "/epcisBody/eventList/0/outputQuantityList/0/uom"
            ]
        );
        assert!(read.events[0].event_id.starts_with("urn:uuid:"));
    }

    #[test]
    fn an_extraction_is_dated_at_its_offset_and_reads_its_master_data() {
        let doc = document(json!([{
            "type": "ObjectEvent",
            "action": "ADD",
            "eventID": "urn:uuid:0190a000-0000-7000-8000-000000000001",
            "eventTime": "2026-03-01T23:30:00Z",
            "eventTimeZoneOffset": "+02:00",
            "bizLocation": {"id": "urn:oretrace:facility:rmi_cid:CID001234"},
            "quantityList": [{"epcClass": "urn:epc:class:lgtin:0614141.077777.987", "quantity": 1000, "uom": "KGM"}],
            "ilmd": {"oretrace:mineral": "gold", "oretrace:form": "ore"}
        }]));
        let read = read(&doc, 10).unwrap();
        let event = read.events[0].read.clone().unwrap();
        assert_eq!(event.event_type, CustodyEventType::Extraction);
        assert_eq!(event.occurred_on.to_string(), "2026-03-02");
        assert_eq!(event.master.mineral, Some(Mineral::Gold));
        assert_eq!(event.outputs[0].quantity.unwrap().mg, 1_000_000_000);
        assert_eq!(read.context, vec![json!({"oretrace": NAMESPACE})]);
    }

    #[test]
    fn a_document_is_refused_whole_when_it_is_not_epcis_2() {
        let errors = read(&json!({"type": "Other", "epcisBody": {}}), 10).unwrap_err();
        assert_eq!(
            pointers(&errors),
            [
                "/type",
                "/schemaVersion",
                "/creationDate",
                "/@context",
                "/epcisBody/eventList"
            ]
        );
    }

    #[test]
    fn refusals_of_the_custody_event_point_into_the_document() {
        let doc = document(json!([{
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventTime": "2026-03-01T10:00:00Z", "eventTimeZoneOffset": "+00:00",
            "quantityList": [{"epcClass": "urn:oretrace:lot:a", "quantity": 1, "uom": "KGM"}],
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.07346"}],
            "destinationList": [{"type": "owning_party", "destination": "urn:lei:5493001KJTIIGC8Y1R12"}]
        }]));
        let read = read(&doc, 10).unwrap();
        let event = read.events[0].read.clone().unwrap();
        let base = "/epcisBody/eventList/0";
        let map = pointer_map(&event, base);
        assert_eq!(
            translate(&map, "/lots/0/lot_id", base),
            "/epcisBody/eventList/0/quantityList/0/epcClass"
        );
        assert_eq!(
            translate(&map, "/from_party_id", base),
            "/epcisBody/eventList/0/sourceList/0/source"
        );
        assert_eq!(translate(&map, "/nothing/here", base), base);
    }
}
