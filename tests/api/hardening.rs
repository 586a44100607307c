//! Hostile input on the routes that carry an organisation's own data (purchases, batches,
//! policy) and on patches: every answer is a 4xx problem, never a 500, and nothing is stored.
//! conventions.rs covers the same kinds of input on `POST /v1/organisations`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{PURCHASE_CSV_HEADER, PurchaseLine};
use crate::fixtures;
use crate::helpers::{Client, Expect, TestApp, assert_problem, pointers, send, send_raw};

async fn nothing_stored(app: &TestApp, who: &Client) {
    let items = app.items(who, "/v1/purchases").await;
    assert!(items.is_empty(), "nothing was stored: {items:?}");
    let policy = app.policy(who).await;
    assert_eq!(policy["source"], "default", "{policy}");
}

const JSON: &str = "application/json";
const NDJSON: &str = "application/x-ndjson";
const CSV: &str = "text/csv";

/// A valid line of 1.5 kg.
fn purchase(supplier: &str) -> PurchaseLine {
    PurchaseLine::new("H-1", supplier).kg(1.5)
}

async fn hostile_bodies_on_purchases_are_4xx_and_store_nothing(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    // Bodies sent as they are, under a content type.
    let single = |content_type: &str, body: Vec<u8>| {
        app.with_body(Method::POST, "/v1/purchases", &buyer, content_type, body)
    };
    let batch = |content_type: &str, body: Vec<u8>| {
        app.with_body(
            Method::POST,
            "/v1/purchases/batch",
            &buyer,
            content_type,
            body,
        )
    };

    // Deeply nested JSON, as a whole body and inside a member.
    let deep = ("[".repeat(100_000) + &"]".repeat(100_000)).into_bytes();
    single(JSON, deep.clone())
        .expect_problem_among(&[400, 413, 422])
        .await;
    batch(JSON, deep)
        .expect_problem_among(&[400, 413, 422])
        .await;
    let nested_member = format!(
        r#"{{"external_ref":"H-1","supplier_party_id":"{supplier}","mineral":"gold","quantity":{}1{},"purchased_on":"2026-03-14"}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    single(JSON, nested_member.into_bytes())
        .expect_problem_among(&[400, 422])
        .await;
    let deep_ndjson = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    batch(NDJSON, deep_ndjson.into_bytes())
        .expect_problem_among(&[400, 422])
        .await;

    // 10 MB: beyond the single route's limit (413); within the batch limit, but not a batch.
    let ten_mb = vec![b'x'; 10 * 1024 * 1024];
    single(JSON, ten_mb.clone()).expect_problem(413).await;
    batch(JSON, ten_mb.clone()).expect_problem(400).await;
    batch(CSV, ten_mb).expect_problem_among(&[400, 422]).await;
    let ten_mb_of_spaces = vec![b' '; 10 * 1024 * 1024];
    app.with_body(Method::PUT, "/v1/policy", &buyer, JSON, ten_mb_of_spaces)
        .expect_problem(413)
        .await;

    // Invalid UTF-8 in every format.
    let mut bad_utf8 = purchase(&supplier).to_string().into_bytes();
    let at = bad_utf8.windows(3).position(|w| w == b"H-1").unwrap();
    bad_utf8[at] = 0xff;
    single(JSON, bad_utf8.clone()).expect_problem(400).await;
    let mut array = b"[".to_vec();
    array.extend(&bad_utf8);
    array.push(b']');
    batch(JSON, array).expect_problem(400).await;
    batch(NDJSON, bad_utf8)
        .expect_problem_among(&[400, 422])
        .await;
    let csv = format!("{PURCHASE_CSV_HEADER}\nH-\u{0}1,{supplier},gold,1,kg,2026-03-14\n");
    let mut csv = csv.into_bytes();
    let at = csv.iter().position(|b| *b == 0).unwrap();
    csv[at] = 0xfe;
    batch(CSV, csv).expect_problem_among(&[400, 422]).await;

    // Numbers beyond i64 and f64, and quantities too large or too precise for their unit.
    for (value, unit) in [
        (json!(1e300), "t"),
        (
            serde_json::from_str::<Value>("123456789012345678901234567890").unwrap(),
            "kg",
        ),
        (json!(-1), "kg"),
        (json!(0.0000001), "g"),
        (json!("12"), "kg"),
    ] {
        let body = purchase(&supplier).quantity(value.clone(), unit);
        let problem = app
            .post("/v1/purchases", &buyer, &body)
            .expect_problem(422)
            .await;
        assert!(
            pointers(&problem)
                .iter()
                .any(|p| p.starts_with("/quantity")),
            "{value} {unit}: {problem}"
        );
    }
    let beyond_f64 = format!(
        r#"{{"external_ref":"H-1","supplier_party_id":"{supplier}","mineral":"gold","quantity":{{"value":1e400,"unit":"kg"}},"purchased_on":"2026-03-14"}}"#
    );
    single(JSON, beyond_f64.into_bytes())
        .expect_problem_among(&[400, 422])
        .await;
    for value in [
        "1e-34",
        "9223372036854775807e10",
        "99999999999999999999999999999999999",
        "NaN",
        "inf",
    ] {
        let csv =
            format!("{PURCHASE_CSV_HEADER}\nH-1,{supplier},gold,{value},troy_oz,2026-03-14\n");
        let problem = batch(CSV, csv.into_bytes()).expect_problem(422).await;
        assert_eq!(
            pointers(&problem),
            vec!["/0/quantity_value"],
            "{value}: {problem}"
        );
    }

    // 1 MB strings: over the single route's limit, and a field too long in a batch.
    let long = purchase(&supplier).with("external_ref", "R".repeat(1024 * 1024));
    app.post("/v1/purchases", &buyer, &long)
        .expect_problem(413)
        .await;
    let problem = app
        .post("/v1/purchases/batch", &buyer, &[long])
        .expect_problem(422)
        .await;
    assert_eq!(pointers(&problem), vec!["/0/external_ref"], "{problem}");

    // Unknown members are refused, by name, and not stored.
    let unknown = purchase(&supplier)
        .with("organisation_id", buyer.org_id.as_str())
        .with("surprise", json!({"nested": true}));
    let problem = app
        .post("/v1/purchases", &buyer, &unknown)
        .expect_problem(422)
        .await;
    assert!(
        pointers(&problem)
            .iter()
            .any(|p| p == "/organisation_id" || p == "/surprise"),
        "{problem}"
    );
    let problem = app
        .post("/v1/purchases/batch", &buyer, &[unknown])
        .expect_problem(422)
        .await;
    assert!(
        pointers(&problem).iter().all(|p| p.starts_with("/0/")),
        "{problem}"
    );
    let quantity_extra =
        purchase(&supplier).with("quantity", json!({"value": 1.5, "unit": "kg", "mg": 1}));
    app.post("/v1/purchases", &buyer, &quantity_extra)
        .expect_problem(422)
        .await;
    let csv = format!(
        "{PURCHASE_CSV_HEADER},organisation_id\nH-1,{supplier},gold,1,kg,2026-03-14,{}\n",
        buyer.org_id
    );
    batch(CSV, csv.into_bytes()).expect_problem(422).await;
    let mut policy = app.policy(&buyer).await["policy"].clone();
    policy["organisation_id"] = json!("someone-else");
    app.put("/v1/policy", &buyer, &policy)
        .expect_problem(422)
        .await;

    nothing_stored(&app, &buyer).await;
}

async fn hostile_parameters_are_400(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    for path in [
        "/v1/purchases/not-a-uuid",
        "/v1/purchases/00000000-0000-0000-0000-00000000000g",
        "/v1/purchases?cursor=%ff%fe",
        "/v1/purchases?cursor=ot1.00000000-0000-0000-0000-00000000000Z",
        "/v1/purchases?limit=99999999999999999999999",
        "/v1/purchases?from=2026-02-30",
        "/v1/purchases?from=%00",
        "/v1/purchases?mineral=unobtainium",
        "/v1/purchases?limit=1&limit=2",
        "/v1/sourcing-mix?from=99999-01-01",
        "/v1/sourcing-mix?group_by=mineral,mineral,mineral",
        "/v1/audit-events?entity_type=%F0%9F%92%A3",
    ] {
        let response = send_raw(app.get(path, &buyer)).await;
        let status = response.status().as_u16();
        assert!(
            (400..500).contains(&status) && status != 401 && status != 403,
            "{path}: {status}"
        );
        assert_problem(response, status).await;
    }
}

async fn hostile_patches_are_4xx_and_change_nothing(app: TestApp) {
    let mine = fixtures::mine(&app, "Patched Mine", "asm", "PE").await;
    let path = format!("/v1/facilities/{mine}");
    let (_, before) = send(app.get(&path, &app.operator)).await;
    let patch = |body: Vec<u8>| {
        app.with_body(
            Method::PATCH,
            &path,
            &app.operator,
            "application/merge-patch+json",
            body,
        )
    };
    for (body, statuses) in [
        (b"{\"name\": \"\xff\"}".to_vec(), &[400][..]),
        (
            ("{\"location\":".repeat(20_000) + "1" + &"}".repeat(20_000)).into_bytes(),
            &[400, 422][..],
        ),
        (br#"{"unknown_member": 1}"#.to_vec(), &[422][..]),
        (
            br#"{"id": "019300aa-0000-7000-8000-000000000001"}"#.to_vec(),
            &[422][..],
        ),
        (
            br#"{"location": {"lat": 1e400, "lon": 0}}"#.to_vec(),
            &[400, 422][..],
        ),
        (
            br#"{"location": {"lat": 123456789012345678901234567890, "lon": 0}}"#.to_vec(),
            &[422][..],
        ),
        (
            format!(r#"{{"name": "{}"}}"#, "n".repeat(1024 * 1024)).into_bytes(),
            &[413, 422][..],
        ),
        (b"[]".to_vec(), &[422][..]),
    ] {
        patch(body).expect_problem_among(statuses).await;
    }
    let (_, after) = send(app.get(&path, &app.operator)).await;
    assert_eq!(before, after, "the facility is unchanged");
}

both_backends!(
    hostile_bodies_on_purchases_are_4xx_and_store_nothing,
    hostile_parameters_are_400,
    hostile_patches_are_4xx_and_change_nothing,
);
