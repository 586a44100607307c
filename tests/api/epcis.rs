//! GS1 EPCIS 2.0 capture and query (docs/EPCIS.md): documents captured into custody events with
//! refusals pointing into the document, the binding's capture jobs and error behaviours, the
//! query with its filters and pages, every document Oretrace writes valid against the official
//! JSON Schema (tests/fixtures/epcis), the standard's own examples captured with a defined
//! answer, and the round trip: what a query returns captures into a fresh organisation with the
//! same traces.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Facility, Party};
use crate::fixtures::chain;
use crate::helpers::{
    Backend, Client, Expect, HasId, TestApp, TestDb, assert_problem, pointers, send, send_raw,
    test_config,
};

const CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
const NS: &str = "https://oretrace.org/ns/epcis/";
const CAPTURE: &str = "/v1/epcis/capture";

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/epcis"))
}

/// The official EPCIS 2.0 JSON Schema (Draft 7), formats checked, nothing fetched.
fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(fixtures().join("EPCIS-JSON-Schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the official schema compiles")
}

/// The schema's complaints about `document` (empty: valid).
fn schema_errors(document: &Value) -> Vec<String> {
    schema()
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(document: &Value) {
    let errors = schema_errors(document);
    assert!(errors.is_empty(), "{errors:?}\n{document:#}");
}

/// The GS1 check digit of a key's digits.
fn check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// The GLN of `company.reference` (12 digits together) and its sgln URN.
fn gln(company: &str, reference: &str) -> (String, String) {
    let body = format!("{company}{reference}");
    (
        format!("{body}{}", check_digit(&body)),
        format!("urn:epc:id:sgln:{company}.{reference}.0"),
    )
}

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": [CONTEXT, {"oretrace": NS, "example": "http://ns.example.com/epcis/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T08:00:00Z",
        "epcisBody": {"eventList": events}
    })
}

fn q(class: &str, quantity: Value, uom: &str) -> Value {
    json!({"epcClass": class, "quantity": quantity, "uom": uom})
}

/// A small catalog named by GS1 keys: a gold mine and a smelter with GLNs, a seller with a
/// party GLN and a buyer with an LEI.
struct Gs1Catalog {
    mine: String,
    mine_sgln: String,
    smelter: String,
    smelter_sgln: String,
    seller: String,
    seller_pgln: String,
    buyer: String,
}

async fn gs1_catalog(app: &TestApp) -> Gs1Catalog {
    let (mine_gln, mine_sgln) = gln("0614141", "00001");
    let (smelter_gln, smelter_sgln) = gln("0614141", "00002");
    let (seller_gln, _) = gln("0614141", "00009");
    let mine = app
        .create_facility(Facility::mine("GLN mine", "asm").identifier("gln", &mine_gln))
        .await
        .id();
    let smelter = app
        .create_facility(Facility::smelter("GLN smelter").identifier("gln", &smelter_gln))
        .await
        .id();
    let seller = app
        .create_party(Party::supplier("GLN seller").identifier("gln", &seller_gln))
        .await
        .id();
    let buyer = app
        .create_party(Party::supplier("LEI buyer").identifier("lei", "5493001KJTIIGC8Y1R12"))
        .await
        .id();
    Gs1Catalog {
        mine,
        mine_sgln,
        smelter,
        smelter_sgln,
        seller,
        seller_pgln: "urn:epc:id:pgln:0614141.00009".into(),
        buyer,
    }
}

const ORE: &str = "urn:epc:class:lgtin:0614141.100001.ORE-7";
/// The doré by Digital Link; the same lot as `urn:epc:class:lgtin:0614141.100003.DORE-7`.
const DORE_LINK: &str = "https://id.gs1.org/01/10614141000033/10/DORE-7";
const DORE_URN: &str = "urn:epc:class:lgtin:0614141.100003.DORE-7";

/// Extraction, transformation, a shipping (ObjectEvent) and a TransactionEvent.
fn chain_events(c: &Gs1Catalog) -> Vec<Value> {
    vec![
        json!({
            "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
            "eventID": "urn:uuid:01900000-0000-7000-8000-0000000000e1",
            "eventTime": "2026-01-10T08:00:00-05:00", "eventTimeZoneOffset": "-05:00",
            "bizLocation": {"id": c.mine_sgln},
            "quantityList": [q(ORE, json!(2), "TNE")],
            "destinationList": [{"type": "owning_party", "destination": c.seller_pgln}],
            "ilmd": {"oretrace:form": "ore"},
            "example:myField": "kept as sent"
        }),
        json!({
            "type": "TransformationEvent",
            "eventID": "urn:uuid:01900000-0000-7000-8000-0000000000e2",
            "eventTime": "2026-02-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
            "readPoint": {"id": c.smelter_sgln},
            "inputQuantityList": [q(ORE, json!(2), "TNE")],
            "outputQuantityList": [q(DORE_LINK, json!(20.5), "KGM")],
            "oretrace:chainOfCustody": "segregated"
        }),
        json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
            "eventID": "urn:uuid:01900000-0000-7000-8000-0000000000e3",
            "eventTime": "2026-02-10T08:00:00Z", "eventTimeZoneOffset": "+00:00",
            "quantityList": [q(DORE_URN, json!(20), "KGM")],
            "sourceList": [{"type": "owning_party", "source": c.seller_pgln}],
            "destinationList": [{"type": "owning_party", "destination": "urn:lei:5493001KJTIIGC8Y1R12"}],
            "bizTransactionList": [{"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:0614141000005:INV-9"}]
        }),
        json!({
            "type": "TransactionEvent", "action": "ADD",
            "eventID": "urn:uuid:01900000-0000-7000-8000-0000000000e4",
            "eventTime": "2026-02-20T08:00:00Z", "eventTimeZoneOffset": "+00:00",
            "quantityList": [q(DORE_LINK, json!(500), "GRM")],
            "sourceList": [{"type": "owning_party", "source": "urn:lei:5493001KJTIIGC8Y1R12"}],
            "destinationList": [{"type": "owning_party", "destination": c.seller_pgln}],
            "bizTransactionList": [
                {"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"},
                {"type": "bol", "bizTransaction": "urn:oretrace:document:BL%2042"}
            ]
        }),
    ]
}

/// Captures `body` as `client`, asserts 202 and answers the capture job.
async fn capture(app: &TestApp, client: &Client, body: &Value) -> Value {
    let response = send_raw(app.post(CAPTURE, client, body)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    for header in [
        "gs1-epcis-version",
        "gs1-cbv-version",
        "gs1-epcis-capture-limit",
        "gs1-epcis-capture-file-size-limit",
    ] {
        assert!(response.headers().contains_key(header), "{header}");
    }
    let job: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("{CAPTURE}/{}", job["captureID"].as_str().unwrap())
    );
    assert_eq!(job["running"], false);
    job
}

/// The errors of a capture job: each event's pointers, in order.
fn job_pointers(job: &Value) -> Vec<String> {
    job["errors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(pointers)
        .collect()
}

async fn custody_events(app: &TestApp, client: &Client) -> Vec<Value> {
    app.items(client, "/v1/custody-events?limit=500").await
}

async fn query(app: &TestApp, client: &Client, params: &str) -> Value {
    let (status, body) = send(app.get(&format!("/v1/epcis/events{params}"), client)).await;
    assert_eq!(status, StatusCode::OK, "{params}: {body}");
    assert_valid(&body);
    body
}

fn event_list(document: &Value) -> Vec<Value> {
    document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
        .clone()
}

fn event_ids(document: &Value) -> Vec<String> {
    event_list(document)
        .iter()
        .map(|e| e["eventID"].as_str().unwrap().to_owned())
        .collect()
}

async fn lot_by_ref(app: &TestApp, client: &Client, external_ref: &str) -> Value {
    let items = app
        .items(client, &format!("/v1/lots?external_ref={external_ref}"))
        .await;
    assert_eq!(items.len(), 1, "{external_ref}: {items:?}");
    items[0].clone()
}

async fn a_document_captures_into_custody_events_and_queries_back(app: TestApp) {
    let org = app.purchaser("EPCIS buyer").await;
    let c = gs1_catalog(&app).await;
    let body = document(chain_events(&c));
    assert_valid(&body);
    let job = capture(&app, &org, &body).await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(job["capturedCount"], 4);
    assert_eq!(job["captureErrorBehaviour"], "rollback");
    let again = app
        .get(
            &format!("{CAPTURE}/{}", job["captureID"].as_str().unwrap()),
            &org,
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(again, job);

    // The custody events they became.
    let events = custody_events(&app, &org).await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["extraction", "transformation", "transfer", "transfer"]
    );
    assert_eq!(events[0]["facility_id"], json!(c.mine));
    assert_eq!(events[0]["to_party_id"], json!(c.seller));
    assert_eq!(events[0]["occurred_on"], "2026-01-10");
    assert_eq!(events[1]["facility_id"], json!(c.smelter));
    assert_eq!(events[1]["chain_of_custody"], "segregated");
    assert_eq!(events[2]["from_party_id"], json!(c.seller));
    assert_eq!(events[2]["to_party_id"], json!(c.buyer));
    assert_eq!(
        events[2]["documents"],
        json!([{"type": "invoice", "reference": "urn:epcglobal:cbv:bt:0614141000005:INV-9"}])
    );
    assert_eq!(
        events[3]["documents"],
        json!([{"type": "purchase_order", "reference": "http://transaction.acme.com/po/12345678"},
               {"type": "bill_of_lading", "reference": "BL 42"}])
    );
    // Lots created on first sight: the mine's one mineral, exact quantities; the Digital Link
    // and the URN of the doré are one lot.
    let ore = lot_by_ref(&app, &org, "https://id.gs1.org/01/10614141000019/10/ORE-7").await;
    assert_eq!(
        (ore["mineral"].as_str(), ore["form"].as_str()),
        (Some("gold"), Some("ore"))
    );
    assert_eq!(ore["quantity"]["mg"], 2_000_000_000_i64);
    assert_eq!(ore["quantity"]["unit"], "t");
    let dore = lot_by_ref(&app, &org, DORE_LINK).await;
    assert_eq!(dore["form"], "dore");
    assert_eq!(dore["quantity"]["mg"], 20_500_000);
    assert_eq!(events[2]["lots"][0]["lot_id"], dore["id"]);
    assert_eq!(events[3]["lots"][0]["quantity_mg"], 500_000);

    // A native event beside them, rendered as EPCIS.
    let native = app
        .post(
            "/v1/custody-events",
            &org,
            &json!({"type": "transfer", "occurred_on": "2026-03-01", "from_party_id": c.buyer,
                   "to_party_id": c.seller, "lots": [{"lot_id": dore["id"], "quantity": {"value": 1, "unit": "kg"}}],
                   "documents": [{"type": "invoice", "reference": "INV 10"}]}),
        )
        .expect_status(StatusCode::CREATED)
        .await;
    let all = query(&app, &org, "").await;
    let list = event_list(&all);
    assert_eq!(list.len(), 5);
    assert_eq!(
        list[0]["example:myField"], "kept as sent",
        "extensions are kept"
    );
    assert_eq!(
        list[0]["eventID"],
        "urn:uuid:01900000-0000-7000-8000-0000000000e1"
    );
    assert!(list[0]["recordTime"].is_string());
    let rendered = &list[4];
    let native_id = native["event"]["id"].as_str().unwrap();
    assert_eq!(rendered["eventID"], json!(format!("urn:uuid:{native_id}")));
    assert_eq!(rendered["type"], "ObjectEvent");
    assert_eq!(rendered["bizStep"], "shipping");
    assert_eq!(
        rendered["quantityList"],
        json!([{"epcClass": DORE_LINK, "quantity": 1, "uom": "KGM"}]),
        "a captured lot is shown by the identifier it was captured under"
    );
    assert_eq!(
        rendered["bizTransactionList"],
        json!([{"type": "inv", "bizTransaction": "urn:oretrace:document:INV%2010"}])
    );
    assert!(
        all["@context"]
            .as_array()
            .unwrap()
            .contains(&json!({"example": "http://ns.example.com/epcis/", "oretrace": NS})),
        "the captured documents' prefixes: {}",
        all["@context"]
    );

    // Filters.
    let ids = |doc: &Value| event_ids(doc).len();
    assert_eq!(
        ids(&query(&app, &org, "?eventType=TransformationEvent").await),
        1
    );
    assert_eq!(
        ids(&query(
            &app,
            &org,
            "?eventType=TransactionEvent|TransformationEvent"
        )
        .await),
        2
    );
    assert_eq!(ids(&query(&app, &org, "?EQ_bizStep=shipping").await), 2);
    assert_eq!(
        ids(&query(&app, &org, &format!("?EQ_bizLocation={}", c.smelter_sgln)).await),
        1
    );
    assert_eq!(
        ids(&query(&app, &org, &format!("?EQ_readPoint={}", c.mine_sgln)).await),
        1
    );
    assert_eq!(
        ids(&query(
            &app,
            &org,
            "?EQ_bizLocation=urn:epc:id:sgln:0614141.00003.0"
        )
        .await),
        0
    );
    let dore_events = query(&app, &org, &format!("?MATCH_anyEPCClass={DORE_URN}")).await;
    assert_eq!(
        ids(&dore_events),
        4,
        "transformation, shipping, transaction, native"
    );
    assert_eq!(
        ids(&query(&app, &org, &format!("?MATCH_epcClass={ORE}|{DORE_LINK}")).await),
        5
    );
    assert_eq!(
        ids(&query(
            &app,
            &org,
            "?MATCH_epcClass=urn:epc:class:lgtin:0614141.100009.X"
        )
        .await),
        0
    );
    let window = query(
        &app,
        &org,
        "?GE_eventTime=2026-01-10T13:00:00Z&LT_eventTime=2026-02-10T08:00:00%2B00:00",
    )
    .await;
    assert_eq!(
        event_ids(&window),
        [
            "urn:uuid:01900000-0000-7000-8000-0000000000e1",
            "urn:uuid:01900000-0000-7000-8000-0000000000e2"
        ]
    );
    // Pages of two, by the Link header.
    let mut seen = Vec::new();
    let mut next = Some("/v1/epcis/events?perPage=2".to_owned());
    while let Some(path) = next.take() {
        let response = send_raw(app.get(&path, &org)).await;
        assert_eq!(response.status(), StatusCode::OK);
        next = response.headers().get("link").map(|l| {
            let l = l.to_str().unwrap();
            l[l.find('<').unwrap() + 1..l.find('>').unwrap()].to_owned()
        });
        let page: Value = response.json().await.unwrap();
        assert_valid(&page);
        seen.extend(event_ids(&page));
    }
    assert_eq!(seen, event_ids(&all));
    // One event by its eventID (URL-encoded).
    let one = app
        .get(
            "/v1/epcis/events/urn%3Auuid%3A01900000-0000-7000-8000-0000000000e2",
            &org,
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_valid(&one);
    assert_eq!(event_list(&one)[0]["type"], "TransformationEvent");
    let native_one = app
        .get(&format!("/v1/epcis/events/urn%3Auuid%3A{native_id}"), &org)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(event_list(&native_one)[0], *rendered);
    // Bad parameters.
    for bad in [
        "?eventtype=ObjectEvent",
        "?perPage=0",
        "?perPage=501",
        "?nextPageToken=nope",
        "?GE_eventTime=yesterday",
        "?GE_eventTime=2026-02-01T00:00:00Z&LT_eventTime=2026-01-01T00:00:00Z",
        "?EQ_bizStep=",
    ] {
        let problem = assert_problem(
            send_raw(app.get(&format!("/v1/epcis/events{bad}"), &org)).await,
            400,
        )
        .await;
        assert!(
            !problem["errors"].as_array().unwrap().is_empty(),
            "{bad}: {problem}"
        );
    }
}

/// The round trip: the query document of an organisation's native chain captures into a fresh
/// organisation, and the traces are equal (origins, quantities, shares; not ids).
async fn what_a_query_returns_captures_into_the_same_traces(app: TestApp) {
    let a = app.purchaser("Native").await;
    let chain = chain(&app, &a).await;
    let exported = query(&app, &a, "?perPage=500").await;
    assert_eq!(event_list(&exported).len(), 5);
    let b = app.purchaser("Fresh").await;
    let job = capture(&app, &b, &exported).await;
    assert_eq!(job["success"], true, "{job}");
    assert_eq!(job["capturedCount"], 5);
    let bar_b = lot_by_ref(&app, &b, "BAR-1").await;
    let trace_a = app.trace_lot(&a, &chain.bar).await;
    let trace_b = app.trace_lot(&b, &bar_b.id()).await;
    assert_eq!(same_trace(&trace_a), same_trace(&trace_b));
    // B's own query shows the same events again, eventIDs kept: capturing it into A records
    // nothing twice.
    let back = query(&app, &b, "?perPage=500").await;
    assert_eq!(event_ids(&back), event_ids(&exported));
    let job = capture(&app, &a, &back).await;
    assert_eq!(
        (
            job["success"].clone(),
            job["capturedCount"].clone(),
            job["duplicateCount"].clone()
        ),
        (json!(true), json!(0), json!(5))
    );
    assert_eq!(custody_events(&app, &a).await.len(), 5);
}

/// What a trace says of origins, independent of ids and dates.
fn same_trace(trace: &Value) -> Value {
    let mut origins: Vec<Value> = trace["origins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            json!({"facility_id": o["facility_id"], "quantity_mg": o["quantity_mg"],
                   "quantity": o["quantity"], "share": o["share"]})
        })
        .collect();
    origins.sort_by_key(|o| o["facility_id"].as_str().unwrap().to_owned());
    json!({
        "mineral": trace["mineral"],
        "quantity_mg": trace["quantity_mg"],
        "depth": trace["depth"],
        "origins": origins,
        "summary": trace["summary"],
    })
}

/// Each example of the standard gets a defined answer: the binding's 202 with a failed job and
/// the pointers of what Oretrace cannot record, or a 422 for a document it does not take.
async fn the_standard_s_examples_get_defined_answers(app: TestApp) {
    let org = app.purchaser("Examples").await;
    let list = "/epcisBody/eventList";
    let query_list = "/epcisBody/queryResults/resultsBody/eventList";
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "Example_9.6.1-ObjectEvent.jsonld",
            vec![
                format!("{list}/0/sourceList"),
                format!("{list}/0/destinationList"),
                format!("{list}/1/sourceList"),
                format!("{list}/1/destinationList"),
            ],
        ),
        (
            "EPCISQueryDocument.jsonld",
            vec![
                format!("{query_list}/0/sourceList"),
                format!("{query_list}/0/destinationList"),
                format!("{query_list}/1/sourceList"),
                format!("{query_list}/1/destinationList"),
            ],
        ),
        (
            // A party named by an unknown sgln, and a lot never seen.
            "Example_9.6.2-ObjectEvent.jsonld",
            vec![
                format!("{list}/0/sourceList/0/source"),
                format!("{list}/0/destinationList/0/destination"),
                format!("{list}/0/quantityList/0/epcClass"),
            ],
        ),
        (
            // Counts without a unit of mass, a pattern.
            "Example_9.6.4-TransformationEvent.jsonld",
            vec![
                format!("{list}/0/inputQuantityList/1/uom"),
                format!("{list}/0/inputQuantityList/2/epcClass"),
                format!("{list}/0/inputQuantityList/2/uom"),
            ],
        ),
        (
            "Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
            vec![
                format!("{list}/0/inputQuantityList/1/uom"),
                format!("{list}/0/inputQuantityList/2/uom"),
            ],
        ),
        (
            // No parties (sources and destinations are locations).
            "Example-TransactionEvents-2020_07_03y.jsonld",
            vec![
                format!("{list}/0/sourceList"),
                format!("{list}/0/destinationList"),
                format!("{list}/1/sourceList"),
                format!("{list}/1/destinationList"),
            ],
        ),
        (
            "Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld",
            vec![format!("{list}/0/type")],
        ),
    ];
    let before = custody_events(&app, &org).await;
    for (file, expected) in cases {
        let text = std::fs::read_to_string(fixtures().join("examples").join(file)).unwrap();
        let example: Value = serde_json::from_str(&text).unwrap();
        assert_valid(&example);
        let response = send_raw(
            app.request(reqwest::Method::POST, CAPTURE, &org)
                .header("content-type", "application/ld+json")
                .body(text),
        )
        .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{file}");
        let job: Value = response.json().await.unwrap();
        assert_eq!(job["success"], false, "{file}: {job}");
        assert_eq!(job["capturedCount"], 0, "{file}");
        assert_eq!(job_pointers(&job), expected, "{file}: {job}");
    }
    assert_eq!(custody_events(&app, &org).await, before, "nothing written");
}

/// Documents the official schema rejects are refused by capture (nothing written).
async fn documents_the_schema_rejects_are_refused(app: TestApp) {
    let org = app.purchaser("Strict").await;
    let c = gs1_catalog(&app).await;
    let good = document(chain_events(&c));
    assert_valid(&good);
    let first = "/epcisBody/eventList/0";
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation, String)> = vec![
        (
            "no eventTime",
            Box::new(|d| {
                d["epcisBody"]["eventList"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("eventTime");
            }),
            format!("{first}/eventTime"),
        ),
        (
            "a bad action",
            Box::new(|d| d["epcisBody"]["eventList"][0]["action"] = json!("MOVE")),
            format!("{first}/action"),
        ),
        (
            "a lower-case unit",
            Box::new(|d| d["epcisBody"]["eventList"][0]["quantityList"][0]["uom"] = json!("kgm")),
            format!("{first}/quantityList/0/uom"),
        ),
        (
            "a quantity as text",
            Box::new(|d| {
                d["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"] = json!("2")
            }),
            format!("{first}/quantityList/0/quantity"),
        ),
        (
            "a bad offset",
            Box::new(|d| d["epcisBody"]["eventList"][0]["eventTimeZoneOffset"] = json!("0500")),
            format!("{first}/eventTimeZoneOffset"),
        ),
        (
            "an unknown event type",
            Box::new(|d| d["epcisBody"]["eventList"][0]["type"] = json!("Happening")),
            format!("{first}/type"),
        ),
        (
            "no schemaVersion",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("schemaVersion");
            }),
            "/schemaVersion".into(),
        ),
        (
            "no context",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("@context");
            }),
            "/@context".into(),
        ),
        (
            "no event list",
            Box::new(|d| d["epcisBody"] = json!({})),
            "/epcisBody/eventList".into(),
        ),
    ];
    for (what, mutate, pointer) in mutations {
        let mut body = good.clone();
        mutate(&mut body);
        assert!(
            !schema_errors(&body).is_empty(),
            "the schema accepts {what}"
        );
        let response = send_raw(app.post(CAPTURE, &org, &body)).await;
        let found = match response.status() {
            StatusCode::UNPROCESSABLE_ENTITY => pointers(&assert_problem(response, 422).await),
            StatusCode::ACCEPTED => {
                let job: Value = response.json().await.unwrap();
                assert_eq!(job["success"], false, "{what}");
                job_pointers(&job)
            }
            other => panic!("{what}: {other}"),
        };
        assert!(found.contains(&pointer), "{what}: {found:?}");
    }
    assert!(custody_events(&app, &org).await.is_empty());
}

async fn bad_input_is_refused_with_pointers(app: TestApp) {
    let org = app.purchaser("Careless").await;
    let c = gs1_catalog(&app).await;
    let events = chain_events(&c);
    // Malformed JSON, a wrong content type, a bad error behaviour.
    let raw = |body: &'static str, content_type: &'static str| {
        app.request(reqwest::Method::POST, CAPTURE, &org)
            .header("content-type", content_type)
            .body(body)
    };
    assert_problem(send_raw(raw("{\"type\":", "application/json")).await, 400).await;
    assert_problem(send_raw(raw("{}", "text/plain")).await, 415).await;
    let problem = assert_problem(
        send_raw(
            app.post(CAPTURE, &org, &document(events.clone()))
                .header("GS1-Capture-Error-Behaviour", "maybe"),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        problem["errors"][0]["parameter"],
        "GS1-Capture-Error-Behaviour"
    );
    // Oversize: 413 before anything is read.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(4 * 1024 * 1024));
    assert_problem(
        send_raw(
            app.request(reqwest::Method::POST, CAPTURE, &org)
                .header("content-type", "application/json")
                .body(big),
        )
        .await,
        413,
    )
    .await;
    // Too many events for one capture.
    let many = document(vec![events[0].clone(); 1001]);
    let problem = assert_problem(send_raw(app.post(CAPTURE, &org, &many)).await, 422).await;
    assert_eq!(pointers(&problem), ["/epcisBody/eventList"]);

    // An unknown unit, an unknown location, a lot consumed before it exists: pointers into
    // the document, and nothing written (rollback).
    let mut pound = events[0].clone();
    pound["quantityList"][0]["uom"] = json!("LBR");
    let mut nowhere = events[0].clone();
    nowhere["bizLocation"]["id"] = json!("urn:epc:id:sgln:0614141.00077.0");
    nowhere["eventID"] = json!("urn:uuid:01900000-0000-7000-8000-0000000000f2");
    let mut early = events[1].clone();
    early["eventTime"] = json!("2026-01-05T08:00:00Z");
    early["eventID"] = json!("urn:uuid:01900000-0000-7000-8000-0000000000f1");
    let job = capture(&app, &org, &document(vec![pound])).await;
    assert_eq!(
        job_pointers(&job),
        ["/epcisBody/eventList/0/quantityList/0/uom"]
    );
    let job = capture(&app, &org, &document(vec![nowhere])).await;
    assert_eq!(
        job_pointers(&job),
        ["/epcisBody/eventList/0/bizLocation/id"]
    );
    let job = capture(
        &app,
        &org,
        &document(vec![events[0].clone(), early.clone()]),
    )
    .await;
    assert_eq!(job["success"], false);
    assert_eq!(
        job_pointers(&job),
        ["/epcisBody/eventList/1/inputQuantityList/0/epcClass"],
        "{job}"
    );
    assert!(
        custody_events(&app, &org).await.is_empty(),
        "rollback: nothing written"
    );
    assert!(
        app.items(&org, "/v1/lots").await.is_empty(),
        "nor the lots first seen"
    );

    // `proceed`: the good events are written, the bad one reported.
    let response = send_raw(
        app.post(
            CAPTURE,
            &org,
            &document(vec![events[0].clone(), early, events[1].clone()]),
        )
        .header("GS1-Capture-Error-Behaviour", "proceed"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["captureErrorBehaviour"], "proceed");
    assert_eq!(
        (job["success"].clone(), job["capturedCount"].clone()),
        (json!(false), json!(2))
    );
    assert_eq!(
        job["errors"][0]["eventID"],
        "urn:uuid:01900000-0000-7000-8000-0000000000f1"
    );
    assert_eq!(custody_events(&app, &org).await.len(), 2);
    // A mine with several minerals and no ilmd: the new lot's mineral is asked for.
    let multi = app
        .create_facility(
            Facility::mine("Polymetallic", "lsm")
                .minerals(&["gold", "copper"])
                .identifier("gln", &gln("0614141", "00005").0),
        )
        .await
        .id();
    let mut unsure = events[0].clone();
    unsure["eventID"] = json!("urn:uuid:01900000-0000-7000-8000-0000000000f3");
    unsure["bizLocation"]["id"] = json!(format!("urn:oretrace:facility:{multi}"));
    unsure["quantityList"][0]["epcClass"] = json!("urn:epc:class:lgtin:0614141.100001.ORE-8");
    let job = capture(&app, &org, &document(vec![unsure])).await;
    assert_eq!(job_pointers(&job), ["/epcisBody/eventList/0/ilmd"]);
}

async fn scopes_and_tenancy(app: TestApp) {
    let org = app.purchaser("Owner").await;
    let other = app.purchaser("Other").await;
    let reader = app
        .client_of(&org.org_id, "reader", &["provenance:read"])
        .await;
    let c = gs1_catalog(&app).await;
    let body = document(chain_events(&c));
    for request in [
        app.post(CAPTURE, &reader, &body),
        app.post(CAPTURE, &reader, &body)
            .header("Idempotency-Key", "cap-1"),
    ] {
        assert_problem(send_raw(request).await, 403).await;
    }
    let catalog_only = app
        .client_of(&org.org_id, "catalog", &["catalog:read"])
        .await;
    assert_problem(
        send_raw(app.get("/v1/epcis/events", &catalog_only)).await,
        403,
    )
    .await;
    let job = capture(&app, &org, &body).await;
    let id = job["captureID"].as_str().unwrap();
    // Another organisation: not found, never shown.
    assert_problem(
        send_raw(app.get(&format!("{CAPTURE}/{id}"), &other)).await,
        404,
    )
    .await;
    assert_problem(
        send_raw(app.get(
            "/v1/epcis/events/urn%3Auuid%3A01900000-0000-7000-8000-0000000000e1",
            &other,
        ))
        .await,
        404,
    )
    .await;
    assert!(event_list(&query(&app, &other, "").await).is_empty());
    assert_problem(
        send_raw(app.get(&format!("{CAPTURE}/not-an-id"), &org)).await,
        400,
    )
    .await;
    // The other organisation may capture the same eventIDs: each organisation's own.
    let theirs = capture(&app, &other, &body).await;
    assert_eq!(theirs["capturedCount"], 4);
    assert_eq!(event_list(&query(&app, &org, "").await).len(), 4);
}

async fn replays_and_concurrent_captures_record_once(app: TestApp) {
    let org = app.purchaser("Retrying").await;
    let c = gs1_catalog(&app).await;
    let body = document(chain_events(&c));
    let first = app
        .post(CAPTURE, &org, &body)
        .header("Idempotency-Key", "cap-7")
        .expect_status(StatusCode::ACCEPTED)
        .await;
    let replay = app
        .post(CAPTURE, &org, &body)
        .header("Idempotency-Key", "cap-7")
        .expect_status(StatusCode::ACCEPTED)
        .await;
    assert_eq!(first, replay, "the same key and body: the same answer");
    // The same document again without a key: a new job, nothing recorded twice.
    let again = capture(&app, &org, &body).await;
    assert_ne!(again["captureID"], first["captureID"]);
    assert_eq!(
        (
            again["success"].clone(),
            again["capturedCount"].clone(),
            again["duplicateCount"].clone()
        ),
        (json!(true), json!(0), json!(4))
    );
    // The same eventID with other content is refused.
    let mut changed = chain_events(&c);
    changed[0]["quantityList"][0]["quantity"] = json!(3);
    let job = capture(&app, &org, &document(changed)).await;
    assert_eq!(job_pointers(&job), ["/epcisBody/eventList/0/eventID"]);
    assert_eq!(custody_events(&app, &org).await.len(), 4);

    // Concurrent captures of one document into a fresh organisation: recorded once.
    let fresh = app.purchaser("Racing").await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let request = app.post(CAPTURE, &fresh, &body);
        tasks.push(tokio::spawn(async move { send(request).await }));
    }
    let mut captured = 0;
    for task in tasks {
        let (status, job) = task.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{job}");
        assert_eq!(job["success"], true, "{job}");
        captured += job["capturedCount"].as_i64().unwrap();
    }
    assert_eq!(captured, 4);
    assert_eq!(custody_events(&app, &fresh).await.len(), 4);
}

both_backends!(
    a_document_captures_into_custody_events_and_queries_back,
    what_a_query_returns_captures_into_the_same_traces,
    the_standard_s_examples_get_defined_answers,
    documents_the_schema_rejects_are_refused,
    bad_input_is_refused_with_pointers,
    scopes_and_tenancy,
    replays_and_concurrent_captures_record_once,
);

/// The demo's gold chain as one EPCIS document (examples/epcis/gold-chain.jsonld) captures into
/// an organisation that does not have it, and gives the trace of the demo's native chain.
async fn demo_gold_chain(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let config = test_config(&db);
    let seeded = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            oretrace::api::startup::migrate_with_retry(&config, std::time::Duration::from_secs(5))
                .expect("migrations");
            let mut conn = oretrace::db::ConnectionManager::new(
                config.database_url.clone(),
                config.pool.statement_timeout,
            )
            .establish()
            .expect("connect");
            oretrace::demo::seed_if_empty(&mut conn)
                .expect("seed")
                .expect("seeded")
        })
        .await
        .unwrap()
    };
    let app = TestApp::start(db, config).await;
    let demo = Client {
        org_id: seeded.purchaser_organisation_id.clone(),
        token: app
            .token(&seeded.purchaser_client_id, &seeded.purchaser_client_secret)
            .await,
        client_id: seeded.purchaser_client_id,
        secret: seeded.purchaser_client_secret,
    };
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/epcis/gold-chain.jsonld"
    ))
    .unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_valid(&file);
    let inbox = app.purchaser("EPCIS inbox").await;
    let response = send_raw(
        app.request(reqwest::Method::POST, CAPTURE, &inbox)
            .header("content-type", "application/ld+json")
            .body(text),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let job: Value = response.json().await.unwrap();
    assert_eq!(
        (job["success"].clone(), job["capturedCount"].clone()),
        (json!(true), json!(7)),
        "{job}"
    );
    let native = lot_by_ref(&app, &demo, "DEMO-BAR-ALP-01").await;
    let captured = lot_by_ref(&app, &inbox, "DEMO-BAR-ALP-01").await;
    let native_trace = app.trace_lot(&demo, &native.id()).await;
    let captured_trace = app.trace_lot(&inbox, &captured.id()).await;
    assert_eq!(same_trace(&captured_trace), same_trace(&native_trace));
    assert_eq!(native_trace["origins"].as_array().unwrap().len(), 3);
    // The demo organisation's own events, as EPCIS, are valid documents too.
    assert_valid(&query(&app, &demo, "?perPage=500").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_gold_chain_captures_to_the_native_trace_sqlite() {
    demo_gold_chain(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_gold_chain_captures_to_the_native_trace_postgres() {
    demo_gold_chain(Backend::Postgres).await;
}
