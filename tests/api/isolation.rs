//! The tenant-isolation matrix. Every operation of the OpenAPI document is classified as
//! public, catalog, tenant-owned or admin, and the test fails on an operation nobody classified.
//! Every tenant-owned operation is then probed across organisations: what organisation A
//! created, organisation B reads, lists, changes, deletes and aggregates, and B gets 404 or an
//! answer without A's data, while A's data stays as it was. Every admin operation refuses a
//! purchaser's token with 403, and every catalog change does too.
//!
//! Adding an operation: one line in [`CLASSES`]; for a tenant-owned one, also an arm in
//! [`probe`] (the test names the operation that lacks one).

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{
    Cmrt, Event, Field, Lot, Origin, PURCHASE_CSV_HEADER, PurchaseLine, SmelterRow,
};
use crate::fixtures;
use crate::helpers::{Client, Expect, HasId, TestApp, assert_problem, send, send_raw};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// No token needed: probes, keys, the token endpoint, the contract itself.
    Public,
    /// The shared catalog: read by every organisation with `catalog:read`, changed only by
    /// operators with `catalog:write`.
    Catalog,
    /// Data of one organisation: another organisation never sees or changes it.
    TenantOwned,
    /// Registering organisations and clients: operators with `admin` only.
    Admin,
}

use Class::*;

/// Every operation, by operationId. Operations listed here that the document does not (yet)
/// have are fine: the provenance operations are registered ahead of their routes.
const CLASSES: &[(&str, Class)] = &[
    ("health_live", Public),
    ("health_ready", Public),
    ("metrics", Public),
    ("get_jwks", Public),
    ("issue_token", Public),
    ("list_schemes", Catalog),
    ("get_scheme", Catalog),
    ("list_facilities", Catalog),
    ("create_facility", Catalog),
    ("batch_facilities", Catalog),
    ("get_facility", Catalog),
    ("update_facility", Catalog),
    ("facility_certifications_as_of", Catalog),
    ("list_parties", Catalog),
    ("create_party", Catalog),
    ("batch_parties", Catalog),
    ("get_party", Catalog),
    ("update_party", Catalog),
    ("party_certifications_as_of", Catalog),
    ("list_certifications", Catalog),
    ("create_certification", Catalog),
    ("batch_certifications", Catalog),
    ("get_certification", Catalog),
    ("update_certification", Catalog),
    ("get_me", TenantOwned),
    ("get_organisation", TenantOwned),
    ("list_audit_events", TenantOwned),
    ("list_purchases", TenantOwned),
    ("create_purchase", TenantOwned),
    ("create_purchases_batch", TenantOwned),
    ("create_purchases_batch_csv", TenantOwned),
    ("create_purchases_batch_ndjson", TenantOwned),
    ("get_purchase", TenantOwned),
    ("delete_purchase", TenantOwned),
    ("get_policy", TenantOwned),
    ("put_policy", TenantOwned),
    ("get_sourcing_mix", TenantOwned),
    ("get_sourcing_mix_csv", TenantOwned),
    // Provenance.
    ("list_lots", TenantOwned),
    ("create_lot", TenantOwned),
    ("get_lot", TenantOwned),
    ("create_custody_events", TenantOwned),
    ("list_custody_events", TenantOwned),
    ("get_custody_event_credential", TenantOwned),
    ("get_certification_credential", Catalog),
    ("get_facility_credential", Catalog),
    ("get_status_list", Public),
    ("capture_epcis", TenantOwned),
    ("get_epcis_capture", TenantOwned),
    ("list_epcis_events", TenantOwned),
    ("get_epcis_event", TenantOwned),
    ("trace_lot", TenantOwned),
    ("trace_purchase", TenantOwned),
    ("trace_party", TenantOwned),
    ("list_red_flags", TenantOwned),
    ("get_red_flag", TenantOwned),
    ("update_red_flag", TenantOwned),
    // Webhooks and the event feed.
    ("create_webhook", TenantOwned),
    ("list_webhooks", TenantOwned),
    ("get_webhook", TenantOwned),
    ("update_webhook", TenantOwned),
    ("delete_webhook", TenantOwned),
    ("rotate_webhook_secret", TenantOwned),
    ("ping_webhook", TenantOwned),
    ("list_webhook_deliveries", TenantOwned),
    ("get_webhook_delivery", TenantOwned),
    ("redeliver_webhook_delivery", TenantOwned),
    ("list_events", TenantOwned),
    // Supplier declarations and the organisation's profile.
    ("import_declaration", TenantOwned),
    ("list_declarations", TenantOwned),
    ("get_declaration", TenantOwned),
    ("get_declared_smelters", TenantOwned),
    ("get_declared_smelters_csv", TenantOwned),
    ("get_declaration_coverage", TenantOwned),
    ("get_declaration_coverage_csv", TenantOwned),
    ("get_outgoing_declaration", TenantOwned),
    ("get_organisation_profile", TenantOwned),
    ("update_organisation_profile", TenantOwned),
    ("get_due_diligence_report", TenantOwned),
    ("list_organisations", Admin),
    ("create_organisation", Admin),
    ("list_clients", Admin),
    ("create_client", Admin),
    ("revoke_client", Admin),
];

/// An operation of the document: its method and path template.
#[derive(Clone, Debug)]
struct Operation {
    method: Method,
    path: String,
}

/// The operations of the OpenAPI document the running service serves, by operationId.
async fn operations(app: &TestApp) -> BTreeMap<String, Operation> {
    let (status, doc) = send(app.http.get(app.url("/openapi.json"))).await;
    assert_eq!(status, StatusCode::OK);
    let mut operations = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            if let Some(id) = operation["operationId"].as_str() {
                operations.insert(
                    id.to_owned(),
                    Operation {
                        method,
                        path: path.clone(),
                    },
                );
            }
        }
    }
    operations
}

fn class_of(operation_id: &str) -> Option<Class> {
    CLASSES
        .iter()
        .find(|(id, _)| *id == operation_id)
        .map(|(_, class)| *class)
}

#[test]
fn the_classification_has_no_duplicates() {
    let mut seen = std::collections::HashSet::new();
    for (id, _) in CLASSES {
        assert!(seen.insert(id), "{id} is classified twice");
    }
}

async fn every_operation_is_classified(app: TestApp) {
    let unclassified: Vec<String> = operations(&app)
        .await
        .into_iter()
        .filter(|(id, _)| class_of(id).is_none())
        .map(|(id, op)| format!("{id} ({} {})", op.method, op.path))
        .collect();
    assert!(
        unclassified.is_empty(),
        "classify these operations in tests/api/isolation.rs (public, catalog, tenant-owned or \
         admin), and probe the tenant-owned ones: {unclassified:?}"
    );
}

/// What organisation A owns, and what B may see of it.
struct World {
    a: Client,
    b: Client,
    supplier: String,
    mine: String,
    /// A's purchases, created one by one and by batch.
    a_purchase: String,
    a_batch_purchases: Vec<String>,
    /// A's lot (extracted at the shared mine), its extraction event, and a purchase of it.
    a_lot: String,
    a_event: String,
    a_lot_purchase: String,
    /// A red flag of that purchase, whose case A has worked (with a note).
    a_flag: String,
    /// A's webhook subscription and the delivery of a ping to it.
    a_webhook: String,
    a_delivery: String,
    /// A's supplier declaration (of the shared supplier) and its workbook.
    a_declaration: String,
    a_workbook: Vec<u8>,
    a_refs: Vec<String>,
}

/// A purchaser's scopes, webhooks and the feed included.
const PURCHASER_SCOPES: [&str; 7] = [
    "catalog:read",
    "purchases:read",
    "purchases:write",
    "provenance:read",
    "provenance:write",
    "webhooks:manage",
    "events:read",
];

/// A webhook target on a public address, written as an address so that nothing is looked up;
/// nothing listens there for the tests, and nothing needs to.
const PUBLIC_TARGET: &str = "https://93.184.215.14/hook";

fn line(external_ref: &str, supplier: &str, kg: f64, on: &str) -> PurchaseLine {
    PurchaseLine::new(external_ref, supplier).kg(kg).on(on)
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A's purchases are dated 2025, B's 2024: a mix of 2025 seen by B must be empty.
const A_DAY: &str = "2025-03-14";
const B_DAY: &str = "2024-01-10";

async fn world(app: &TestApp) -> World {
    let a = app
        .organisation("Organisation A", "purchaser", &PURCHASER_SCOPES)
        .await;
    let b = app
        .organisation("Organisation B", "purchaser", &PURCHASER_SCOPES)
        .await;
    let a_webhook = app
        .post(
            "/v1/webhooks",
            &a,
            &json!({"url": PUBLIC_TARGET, "description": "A-SECRET-HOOK",
                    "event_types": ["purchases.batch_completed"], "enabled": false}),
        )
        .expect_status(StatusCode::CREATED)
        .await
        .id();
    let a_delivery = app
        .post(&format!("/v1/webhooks/{a_webhook}/ping"), &a, &json!({}))
        .expect_status(StatusCode::ACCEPTED)
        .await
        .id();
    let supplier = fixtures::supplier(app, "Shared Supplier AG").await;
    let mine = fixtures::mine(app, "Shared Mine", "asm", "PE").await;
    let single = line("A-SECRET-1", &supplier, 5.0, A_DAY).declared([Origin::facility(&mine, 1.0)]);
    let a_purchase = app.create_purchase(&a, &single).await.id();
    app.load_purchases(
        &a,
        &[
            line("A-SECRET-2", &supplier, 7.0, A_DAY),
            line("A-SECRET-3", &supplier, 9.0, A_DAY),
        ],
    )
    .await;
    let mut a_batch_purchases = Vec::new();
    for external_ref in ["A-SECRET-2", "A-SECRET-3"] {
        let path = format!("/v1/purchases?external_ref={external_ref}");
        a_batch_purchases.push(app.items(&a, &path).await[0].id());
    }
    let mut policy = app.policy(&a).await["policy"].clone();
    policy["targets"] = json!([{"metric": "certified", "comparison": "at_least", "share": 0.77}]);
    app.put_policy(&a, &policy).await;
    let a_lot = app
        .create_lot(&a, &Lot::new("A-SECRET-LOT").kg(12))
        .await
        .id();
    let extraction = Event::extraction("2025-03-01", &mine)
        .with("external_ref", "A-SECRET-EVENT")
        .output(&a_lot);
    let a_event = app.record_event(&a, &extraction).await["event"].id();
    let of_lot = line("A-SECRET-4", &supplier, 12.0, A_DAY).lot(&a_lot);
    let a_lot_purchase = app.create_purchase(&a, &of_lot).await.id();
    let a_workbook = Cmrt::filled("6.5")
        .company(Field::Name, "A-SECRET-DECLARANT")
        .smelter(SmelterRow::new("Tin").typed("A-SECRET-SMELTER", "INDONESIA"))
        .smelter(
            SmelterRow::new("Gold")
                .typed("Smelter", "PERU")
                .cid("CID007777"),
        )
        .bytes();
    let a_declaration = app
        .with_body(
            Method::POST,
            &format!("/v1/declarations?supplier_party_id={supplier}&file_name=A-SECRET-FILE"),
            &a,
            XLSX,
            a_workbook.clone(),
        )
        .expect_status(StatusCode::CREATED)
        .await["declaration"]
        .id();
    app.patch(
        &format!("/v1/organisations/{}/profile", a.org_id),
        &a,
        &json!({"legal_name": "A-SECRET-PROFILE", "contact_email": "a-secret@a.example"}),
    )
    .expect_status(StatusCode::OK)
    .await;
    settle_red_flag_events(app, &a).await;
    let (_, flags) = send(app.get("/v1/red-flags?limit=500", &a)).await;
    let a_flag = flags["items"][0].id();
    app.patch(
        &format!("/v1/red-flags/{a_flag}"),
        &a,
        &json!({"status": "under_review", "assignee": "A-SECRET-ASSIGNEE",
                "note": "A-SECRET-NOTE"}),
    )
    .expect_status(StatusCode::OK)
    .await;
    World {
        a,
        b,
        supplier,
        mine,
        a_purchase,
        a_batch_purchases,
        a_lot,
        a_event,
        a_lot_purchase,
        a_flag,
        a_webhook,
        a_delivery,
        a_declaration,
        a_workbook,
        a_refs: [
            "A-SECRET-1",
            "A-SECRET-2",
            "A-SECRET-3",
            "A-SECRET-4",
            "A-SECRET-LOT",
            "A-SECRET-EVENT",
            "A-SECRET-HOOK",
            "A-SECRET-DECLARANT",
            "A-SECRET-SMELTER",
            "A-SECRET-FILE",
            "A-SECRET-PROFILE",
            "A-SECRET-ASSIGNEE",
            "A-SECRET-NOTE",
            "CID007777",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

/// Waits until A's red flags are announced in its feed (a sweep follows A's writes
/// asynchronously), so that the feed stays as it is while B probes.
async fn settle_red_flag_events(app: &TestApp, a: &Client) {
    let (_, flags) = send(app.get("/v1/red-flags?limit=500", a)).await;
    let expected = flags["items"].as_array().map_or(0, Vec::len);
    for _ in 0..400 {
        let (_, feed) = send(app.get("/v1/events?type=red_flag.raised&limit=1000", a)).await;
        if feed["items"].as_array().map_or(0, Vec::len) == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("A's {expected} red flags were not announced within 20 s");
}

/// What A sees of its own data; must be the same before and after B's probes.
async fn snapshot(app: &TestApp, w: &World) -> Value {
    let mut purchases = Vec::new();
    for id in std::iter::once(&w.a_purchase).chain(&w.a_batch_purchases) {
        let (status, purchase) = send(app.get(&format!("/v1/purchases/{id}"), &w.a)).await;
        assert_eq!(status, StatusCode::OK, "A reads its own purchase {id}");
        purchases.push(purchase);
    }
    let (_, list) = send(app.get("/v1/purchases?limit=500", &w.a)).await;
    let (_, policy) = send(app.get("/v1/policy", &w.a)).await;
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2025-01-01&to=2025-12-31", &w.a)).await;
    let (_, me) = send(app.get("/v1/me", &w.a)).await;
    let (_, lot) = send(app.get(&format!("/v1/lots/{}", w.a_lot), &w.a)).await;
    let (_, lots) = send(app.get("/v1/lots?limit=500", &w.a)).await;
    let (_, events) = send(app.get("/v1/custody-events?limit=500", &w.a)).await;
    let (status, trace) = send(app.get(&format!("/v1/lots/{}/provenance", w.a_lot), &w.a)).await;
    assert_eq!(status, StatusCode::OK, "A traces its own lot: {trace}");
    let (_, flags) = send(app.get("/v1/red-flags?limit=500", &w.a)).await;
    let (status, flag) = send(app.get(&format!("/v1/red-flags/{}", w.a_flag), &w.a)).await;
    assert_eq!(status, StatusCode::OK, "A reads its own red flag: {flag}");
    let (_, webhook) = send(app.get(&format!("/v1/webhooks/{}", w.a_webhook), &w.a)).await;
    let (_, webhooks) = send(app.get("/v1/webhooks", &w.a)).await;
    let (_, feed) = send(app.get("/v1/events?limit=1000", &w.a)).await;
    let (status, declaration) =
        send(app.get(&format!("/v1/declarations/{}", w.a_declaration), &w.a)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "A reads its own declaration: {declaration}"
    );
    let (_, declarations) = send(app.get("/v1/declarations?limit=500", &w.a)).await;
    let (_, smelters) = send(app.get("/v1/declarations/smelters", &w.a)).await;
    let (_, coverage) = send(app.get(
        "/v1/declarations/coverage?from=2025-01-01&to=2025-12-31",
        &w.a,
    ))
    .await;
    let (_, profile) =
        send(app.get(&format!("/v1/organisations/{}/profile", w.a.org_id), &w.a)).await;
    let (_, mut report) = send(app.get("/v1/reports/due-diligence?year=2025", &w.a)).await;
    report["generated_at"] = Value::Null;
    json!({"report": report, "declaration": declaration, "declarations": declarations, "smelters": smelters,
           "coverage": coverage, "profile": profile,"purchases": purchases, "list": list, "policy": policy, "mix": mix, "me": me,
           "lot": lot, "lots": lots, "events": events, "trace": trace, "flags": flags, "flag": flag,
           "webhook": webhook, "webhooks": webhooks, "feed": feed})
}

/// Asserts that `body` mentions none of A's ids, references or organisation.
fn assert_nothing_of_a(operation: &str, w: &World, body: &Value) {
    let text = body.to_string();
    let secrets = [
        &w.a.org_id,
        &w.a_lot,
        &w.a_event,
        &w.a_lot_purchase,
        &w.a_flag,
        &w.a_webhook,
        &w.a_delivery,
        &w.a_declaration,
    ]
    .into_iter()
    .chain(std::iter::once(&w.a_purchase))
    .chain(&w.a_batch_purchases)
    .chain(&w.a_refs);
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{operation}: B's answer contains A's {secret}: {body}"
        );
    }
}

/// B's probe of one tenant-owned operation. A new tenant-owned operation needs an arm here.
async fn probe(app: &TestApp, w: &World, operation: &str) {
    let b = &w.b;
    match operation {
        "get_me" => {
            let (status, me) = send(app.get("/v1/me", b)).await;
            assert_eq!(status, StatusCode::OK);
            assert_nothing_of_a(operation, w, &me);
        }
        "get_organisation" => {
            app.get(&format!("/v1/organisations/{}", w.a.org_id), b)
                .expect_problem(404)
                .await;
            let (status, own) = send(app.get(&format!("/v1/organisations/{}", b.org_id), b)).await;
            assert_eq!(status, StatusCode::OK, "its own organisation: {own}");
        }
        "list_audit_events" => {
            for query in [
                String::from("limit=500"),
                format!("entity_id={}", w.a_purchase),
                String::from("entity_type=purchase"),
                String::from("entity_type=sourcing_policy"),
            ] {
                let (status, events) = send(app.get(&format!("/v1/audit-events?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {events}");
                assert_nothing_of_a(operation, w, &events);
            }
        }
        "list_purchases" => {
            for query in [
                String::from("limit=500"),
                String::from("external_ref=A-SECRET-1"),
                format!("supplier_party_id={}", w.supplier),
                String::from("from=2025-01-01"),
            ] {
                let (status, list) = send(app.get(&format!("/v1/purchases?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_purchase" => {
            for id in std::iter::once(&w.a_purchase).chain(&w.a_batch_purchases) {
                app.get(&format!("/v1/purchases/{id}"), b)
                    .expect_problem(404)
                    .await;
            }
        }
        "delete_purchase" => {
            for id in std::iter::once(&w.a_purchase).chain(&w.a_batch_purchases) {
                app.delete(&format!("/v1/purchases/{id}"), b)
                    .expect_problem(404)
                    .await;
            }
        }
        "create_purchase" => {
            // The same external_ref is another line of another organisation: created, not an
            // update of A's.
            let (status, created) = send(app.post(
                "/v1/purchases",
                b,
                &line("A-SECRET-1", &w.supplier, 1.0, B_DAY),
            ))
            .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            assert_eq!(created["result"], "created");
            assert_ne!(
                created["purchase"]["id"].as_str(),
                Some(w.a_purchase.as_str())
            );
            // Declaring A's... nothing: a declared origin names catalog facilities only.
            let with_origin =
                line("B-OWN-1", &w.supplier, 1.0, B_DAY).declared([Origin::facility(&w.mine, 1.0)]);
            app.create_purchase(b, &with_origin).await;
        }
        "create_purchases_batch" => {
            let result = app
                .load_purchases(
                    b,
                    &[
                        line("A-SECRET-2", &w.supplier, 2.0, B_DAY),
                        line("A-SECRET-3", &w.supplier, 3.0, B_DAY),
                    ],
                )
                .await;
            assert_eq!(
                result["created"], 2,
                "B's own lines, not updates of A's: {result}"
            );
            let csv = format!(
                "{PURCHASE_CSV_HEADER}\nA-SECRET-2,{},gold,4,kg,{B_DAY}\n",
                w.supplier
            );
            let result = app
                .purchases_csv(b, csv)
                .expect_status(StatusCode::OK)
                .await;
            assert_eq!(
                result["updated"], 1,
                "B's own line of the JSON batch: {result}"
            );
        }
        "create_purchases_batch_csv" | "create_purchases_batch_ndjson" => {
            // A's external reference, sent by B as a file: B's own line (created, or updated
            // when another probe made it first), never A's (the snapshot compares A's).
            let (path, body) = if operation.ends_with("csv") {
                let csv = format!(
                    "{PURCHASE_CSV_HEADER}\nA-SECRET-4,{},gold,6,kg,{B_DAY}\n",
                    w.supplier
                );
                ("/v1/purchases/batch.csv", csv)
            } else {
                let line = line("A-SECRET-4", &w.supplier, 8.0, B_DAY);
                ("/v1/purchases/batch.ndjson", format!("{line}\n"))
            };
            let result = app
                .with_body(Method::POST, path, b, "application/octet-stream", body)
                .expect_status(StatusCode::OK)
                .await;
            assert_eq!(
                result["created"].as_u64().unwrap_or(0) + result["updated"].as_u64().unwrap_or(0),
                1,
                "{operation}: B's own line: {result}"
            );
        }
        "get_policy" => {
            let (status, policy) = send(app.get("/v1/policy", b)).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(policy["source"], "default", "not A's policy: {policy}");
            assert!(!policy.to_string().contains("0.77"), "{policy}");
        }
        "put_policy" => {
            let mut policy = app.policy(b).await["policy"].clone();
            policy["targets"] =
                json!([{"metric": "unknown", "comparison": "at_most", "share": 0.5}]);
            app.put_policy(b, &policy).await;
        }
        "get_sourcing_mix" => {
            for query in [
                "from=2025-01-01&to=2025-12-31",
                "from=2025-01-01&to=2025-12-31&group_by=supplier",
                "from=2025-01-01&to=2025-12-31&group_by=month,country",
            ] {
                let (status, mix) = send(app.get(&format!("/v1/sourcing-mix?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {mix}");
                assert_eq!(
                    mix["overall"]["total_mg"], 0,
                    "{query}: A's lines counted: {mix}"
                );
                assert_nothing_of_a(operation, w, &mix);
            }
            let csv = send_raw(
                app.get(
                    "/v1/sourcing-mix?from=2025-01-01&to=2025-12-31&group_by=supplier",
                    b,
                )
                .header("accept", "text/csv"),
            )
            .await;
            assert_eq!(csv.status(), StatusCode::OK);
            let text = csv.text().await.unwrap_or_default();
            assert!(
                !text.contains(&w.supplier),
                "A's supplier row in B's CSV: {text}"
            );
        }
        "get_sourcing_mix_csv" => {
            let path = "/v1/sourcing-mix.csv?from=2025-01-01&to=2025-12-31&group_by=supplier";
            let csv = send_raw(app.get(path, b)).await;
            assert_eq!(csv.status(), StatusCode::OK);
            let text = csv.text().await.unwrap_or_default();
            assert!(
                !text.contains(&w.supplier) && !text.contains("A-SECRET"),
                "A's supplier row in B's CSV: {text}"
            );
            let overall: Vec<&str> = text.lines().filter(|l| l.starts_with("overall")).collect();
            assert!(
                overall.len() == 4 && overall.iter().all(|l| l.contains(",0,")),
                "A's quantities in B's CSV: {text}"
            );
        }
        "list_lots" => {
            for query in ["limit=500", "external_ref=A-SECRET-LOT", "mineral=gold"] {
                let (status, list) = send(app.get(&format!("/v1/lots?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_lot" => {
            app.get(&format!("/v1/lots/{}", w.a_lot), b)
                .expect_problem(404)
                .await;
        }
        "create_lot" => {
            // The same external_ref is B's own lot, never A's.
            let created = app.create_lot(b, &Lot::new("A-SECRET-LOT")).await;
            assert_ne!(created["id"].as_str(), Some(w.a_lot.as_str()));
        }
        "create_custody_events" => {
            // Consuming, transferring or extracting into A's lot: A's lot does not exist for B.
            for event in [
                Event::transfer("2025-04-01", &w.supplier, &w.supplier).lot(&w.a_lot),
                Event::extraction("2025-04-01", &w.mine).output(&w.a_lot),
            ] {
                let problem = app
                    .post("/v1/custody-events", b, &event)
                    .expect_problem(422)
                    .await;
                assert_nothing_of_a(operation, w, &problem);
            }
        }
        "list_custody_events" => {
            for query in [
                String::from("limit=500"),
                format!("lot_id={}", w.a_lot),
                format!("facility_id={}", w.mine),
                String::from("type=extraction"),
            ] {
                let (status, list) = send(app.get(&format!("/v1/custody-events?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_custody_event_credential" => {
            app.get(&format!("/v1/custody-events/{}/credential", w.a_event), b)
                .expect_problem(404)
                .await;
        }
        "trace_lot" => {
            app.get(&format!("/v1/lots/{}/provenance", w.a_lot), b)
                .expect_problem(404)
                .await;
        }
        "trace_purchase" => {
            for id in [&w.a_lot_purchase, &w.a_purchase] {
                app.get(&format!("/v1/purchases/{id}/provenance"), b)
                    .expect_problem(404)
                    .await;
            }
        }
        "trace_party" => {
            let path = format!(
                "/v1/parties/{}/provenance?mineral=gold&from=2025-01-01&to=2025-12-31",
                w.supplier
            );
            // B bought nothing from this supplier in 2025: 404, as for any supplier it never
            // bought from; A's purchases from the same supplier are never reached.
            let (status, trace) = send(app.get(&path, b)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{trace}");
            assert_nothing_of_a(operation, w, &trace);
            assert!(
                !trace.to_string().contains(&w.mine),
                "A's traced mine reached through B's supplier trace: {trace}"
            );
        }
        "list_red_flags" => {
            for query in [
                String::from("limit=500"),
                format!("supplier_party_id={}", w.supplier),
            ] {
                let (status, list) = send(app.get(&format!("/v1/red-flags?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_red_flag" => {
            app.get(&format!("/v1/red-flags/{}", w.a_flag), b)
                .expect_problem(404)
                .await;
        }
        "update_red_flag" => {
            let (status, problem) = send(app.patch(
                &format!("/v1/red-flags/{}", w.a_flag),
                b,
                &json!({"status": "resolved", "assignee": "B", "note": "hijack"}),
            ))
            .await;
            // The problem names the id B sent, nothing else of A's.
            assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
            assert!(!problem.to_string().contains("A-SECRET"), "{problem}");
        }
        "create_webhook" => {
            // The same target is B's own subscription, never A's.
            let created = app
                .post(
                    "/v1/webhooks",
                    b,
                    &json!({"url": PUBLIC_TARGET, "event_types": ["red_flag.raised"]}),
                )
                .expect_status(StatusCode::CREATED)
                .await;
            assert_ne!(created.id(), w.a_webhook);
        }
        "list_webhooks" | "list_events" => {
            let path = if operation == "list_webhooks" {
                "/v1/webhooks?limit=500"
            } else {
                "/v1/events?limit=1000"
            };
            let (status, list) = send(app.get(path, b)).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            assert_nothing_of_a(operation, w, &list);
        }
        "get_webhook" | "list_webhook_deliveries" | "get_webhook_delivery" => {
            let path = match operation {
                "get_webhook" => format!("/v1/webhooks/{}", w.a_webhook),
                "list_webhook_deliveries" => format!("/v1/webhooks/{}/deliveries", w.a_webhook),
                _ => format!("/v1/webhooks/{}/deliveries/{}", w.a_webhook, w.a_delivery),
            };
            app.get(&path, b).expect_problem(404).await;
        }
        "update_webhook" => {
            app.patch(
                &format!("/v1/webhooks/{}", w.a_webhook),
                b,
                &json!({"enabled": true, "url": PUBLIC_TARGET}),
            )
            .expect_problem(404)
            .await;
        }
        "delete_webhook" => {
            app.delete(&format!("/v1/webhooks/{}", w.a_webhook), b)
                .expect_problem(404)
                .await;
        }
        "rotate_webhook_secret" | "ping_webhook" | "redeliver_webhook_delivery" => {
            let path = match operation {
                "rotate_webhook_secret" => format!("/v1/webhooks/{}/rotate-secret", w.a_webhook),
                "ping_webhook" => format!("/v1/webhooks/{}/ping", w.a_webhook),
                _ => format!(
                    "/v1/webhooks/{}/deliveries/{}/redeliver",
                    w.a_webhook, w.a_delivery
                ),
            };
            app.post(&path, b, &json!({})).expect_problem(404).await;
        }
        "list_declarations" => {
            for query in [
                String::from("limit=500"),
                format!("supplier_party_id={}", w.supplier),
                String::from("status=complete"),
                String::from("mineral=tin"),
            ] {
                let (status, list) = send(app.get(&format!("/v1/declarations?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_declaration" => {
            app.get(&format!("/v1/declarations/{}", w.a_declaration), b)
                .expect_problem(404)
                .await;
        }
        "get_declared_smelters"
        | "get_declared_smelters_csv"
        | "get_declaration_coverage"
        | "get_declaration_coverage_csv" => {
            let path = match operation {
                "get_declared_smelters" => "/v1/declarations/smelters".to_owned(),
                "get_declared_smelters_csv" => format!(
                    "/v1/declarations/smelters.csv?supplier_party_id={}",
                    w.supplier
                ),
                "get_declaration_coverage" => {
                    "/v1/declarations/coverage?from=2025-01-01&to=2025-12-31".to_owned()
                }
                _ => "/v1/declarations/coverage.csv?from=2025-01-01&to=2025-12-31".to_owned(),
            };
            let response = send_raw(app.get(&path, b)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let text = response.text().await.unwrap();
            let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
            assert_nothing_of_a(operation, w, &body);
        }
        "get_outgoing_declaration" => {
            // B's own workbook, read back as a declaration of B's, holds nothing of A's.
            app.patch(
                &format!("/v1/organisations/{}/profile", b.org_id),
                b,
                &json!({"legal_name": "Organisation B GmbH"}),
            )
            .expect_status(StatusCode::OK)
            .await;
            let response = send_raw(app.get(
                "/v1/declarations/outgoing?template=cmrt&version=6.5&year=2025",
                b,
            ))
            .await;
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = response.bytes().await.unwrap().to_vec();
            let (status, imported) = send(app.with_body(
                Method::POST,
                &format!("/v1/declarations?supplier_party_id={}", w.supplier),
                b,
                XLSX,
                bytes,
            ))
            .await;
            assert_eq!(status, StatusCode::CREATED, "{imported}");
            let (_, read) = send(app.get(
                &format!("/v1/declarations/{}", imported["declaration"].id()),
                b,
            ))
            .await;
            assert_nothing_of_a(operation, w, &read);
        }
        "import_declaration" => {
            // A's very file, sent by B, is B's own new declaration, not A's unchanged one.
            let (status, created) = send(app.with_body(
                Method::POST,
                &format!("/v1/declarations?supplier_party_id={}", w.supplier),
                b,
                XLSX,
                w.a_workbook.clone(),
            ))
            .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            assert_eq!(created["result"], "created");
            assert_ne!(created["declaration"].id(), w.a_declaration);
            assert!(!created.to_string().contains(&w.a.org_id), "{created}");
        }
        "get_organisation_profile" => {
            app.get(&format!("/v1/organisations/{}/profile", w.a.org_id), b)
                .expect_problem(404)
                .await;
            let (status, own) =
                send(app.get(&format!("/v1/organisations/{}/profile", b.org_id), b)).await;
            assert_eq!(status, StatusCode::OK, "its own profile: {own}");
            assert_nothing_of_a(operation, w, &own);
        }
        "get_due_diligence_report" => {
            // B's report of A's year: B's own (empty) figures, in JSON and in HTML.
            for accept in ["application/json", "text/html"] {
                let response = send_raw(
                    app.get("/v1/reports/due-diligence?year=2025", b)
                        .header(reqwest::header::ACCEPT, accept),
                )
                .await;
                assert_eq!(response.status(), StatusCode::OK, "{accept}");
                let text = response.text().await.unwrap();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                assert_nothing_of_a(operation, w, &body);
            }
        }
        "update_organisation_profile" => {
            app.patch(
                &format!("/v1/organisations/{}/profile", w.a.org_id),
                b,
                &json!({"legal_name": "Hijacked"}),
            )
            .expect_problem(404)
            .await;
        }
        "capture_epcis" => {
            // A's lot, named by its Oretrace URN, does not exist for B: refused, nothing of A's.
            let document = json!({
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2025-04-01T00:00:00Z",
                "epcisBody": {"eventList": [{
                    "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
                    "eventTime": "2025-04-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",
                    "epcList": [format!("urn:oretrace:lot:{}", w.a_lot)],
                    "sourceList": [{"type": "owning_party", "source": format!("urn:oretrace:party:{}", w.supplier)}],
                    "destinationList": [{"type": "owning_party", "destination": format!("urn:oretrace:party:{}", w.supplier)}]
                }]}
            });
            let job = app
                .post("/v1/epcis/capture", b, &document)
                .expect_status(StatusCode::ACCEPTED)
                .await;
            assert_eq!(job["success"], false, "{job}");
            assert_nothing_of_a(operation, w, &job["errors"]);
        }
        "get_epcis_capture" => {
            // A's capture job (of an empty document: A's data stay as they are) is not B's.
            let empty = json!({
                "@context": "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2025-04-01T00:00:00Z", "epcisBody": {"eventList": []}
            });
            let job = app
                .post("/v1/epcis/capture", &w.a, &empty)
                .expect_status(StatusCode::ACCEPTED)
                .await;
            app.get(
                &format!("/v1/epcis/capture/{}", job["captureID"].as_str().unwrap()),
                b,
            )
            .expect_problem(404)
            .await;
        }
        "list_epcis_events" => {
            for query in [
                String::from("perPage=500"),
                format!("MATCH_anyEPCClass=urn:oretrace:lot:{}", w.a_lot),
                format!("EQ_bizLocation=urn:oretrace:facility:{}", w.mine),
                String::from("eventType=ObjectEvent"),
            ] {
                let (status, list) = send(app.get(&format!("/v1/epcis/events?{query}"), b)).await;
                assert_eq!(status, StatusCode::OK, "{query}: {list}");
                assert_nothing_of_a(operation, w, &list);
            }
        }
        "get_epcis_event" => {
            app.get(&format!("/v1/epcis/events/urn%3Auuid%3A{}", w.a_event), b)
                .expect_problem(404)
                .await;
        }
        other => panic!(
            "tenant-owned operation {other} has no cross-organisation probe: add an arm to \
             `probe` in tests/api/isolation.rs"
        ),
    }
}

async fn tenant_owned_operations_never_cross_organisations(app: TestApp) {
    let operations = operations(&app).await;
    let w = world(&app).await;
    let before = snapshot(&app, &w).await;
    // Reads and aggregates first, then writes: every probe runs against A's full data.
    let mut tenant_owned: Vec<(&String, &Operation)> = operations
        .iter()
        .filter(|(id, _)| class_of(id) == Some(TenantOwned))
        .collect();
    tenant_owned.sort_by_key(|(_, op)| op.method != Method::GET);
    assert!(tenant_owned.len() >= 20, "{tenant_owned:?}");
    for (id, _) in &tenant_owned {
        probe(&app, &w, id).await;
    }
    let after = snapshot(&app, &w).await;
    assert_eq!(before, after, "A's data changed while B probed it");
}

/// A request that reaches an admin or catalog-write operation's scope check: path parameters
/// filled with real ids and a valid body, so only the scope can refuse it.
fn admin_request(
    app: &TestApp,
    w: &World,
    id: &str,
    op: &Operation,
    who: &Client,
) -> reqwest::RequestBuilder {
    let path = op
        .path
        .replace("{client_id}", &w.b.client_id)
        .replace("{id}", &w.b.org_id);
    let body = match id {
        "create_organisation" => Some(json!({"name": "Sneaky Ltd", "kind": "operator"})),
        "create_client" => Some(json!({"name": "sneaky", "scopes": ["purchases:read"]})),
        _ if op.method == Method::POST
            || op.method == Method::PATCH
            || op.method == Method::PUT =>
        {
            Some(json!({}))
        }
        _ => None,
    };
    let request = app.request(op.method.clone(), &path, who);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
}

async fn admin_operations_refuse_purchasers(app: TestApp) {
    let operations = operations(&app).await;
    let w = world(&app).await;
    let admins: Vec<_> = operations
        .iter()
        .filter(|(id, _)| class_of(id) == Some(Admin))
        .collect();
    assert!(admins.len() >= 5, "{admins:?}");
    for (id, op) in admins {
        let response = send_raw(admin_request(&app, &w, id, op, &w.a)).await;
        let status = response.status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{id} with a purchaser token");
        assert_problem(response, 403).await;
    }
    // Nothing was registered or revoked: B's client still gets tokens.
    let token = app.token(&w.b.client_id, &w.b.secret).await;
    assert!(!token.is_empty());
    let (_, orgs) = send(app.get("/v1/organisations?limit=500", &app.operator)).await;
    assert!(!orgs.to_string().contains("Sneaky Ltd"), "{orgs}");
}

async fn catalog_changes_refuse_purchasers(app: TestApp) {
    let operations = operations(&app).await;
    let w = world(&app).await;
    let writes: Vec<_> = operations
        .iter()
        .filter(|(id, op)| class_of(id) == Some(Catalog) && op.method != Method::GET)
        .collect();
    assert!(writes.len() >= 9, "{writes:?}");
    for (id, op) in writes {
        let path = op.path.replace("{id}", &w.mine);
        let body = if path.ends_with("/batch") {
            json!([])
        } else {
            json!({})
        };
        let response = send_raw(app.request(op.method.clone(), &path, &w.a).json(&body)).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{id} with a purchaser token"
        );
        assert_problem(response, 403).await;
    }
}

both_backends!(
    every_operation_is_classified,
    tenant_owned_operations_never_cross_organisations,
    admin_operations_refuse_purchasers,
    catalog_changes_refuse_purchasers,
);
