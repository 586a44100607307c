//! Hostile input on the routes that carry an organisation's own data (purchases, batches,
//! policy) and on patches: every answer is a 4xx problem, never a 500, and nothing is stored.
//! conventions.rs covers the same kinds of input on `POST /v1/organisations`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fixtures;
use crate::helpers::{Client, TestApp, assert_problem, pointers, send, send_raw};

fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &Client,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    app.request(method, path, who)
        .header("content-type", content_type)
        .body(body)
}

async fn nothing_stored(app: &TestApp, who: &Client) {
    let (status, list) = send(app.get("/v1/purchases", who)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"], json!([]), "nothing was stored: {list}");
    let (_, policy) = send(app.get("/v1/policy", who)).await;
    assert_eq!(policy["source"], "default", "{policy}");
}

fn purchase(supplier: &str) -> Value {
    json!({
        "external_ref": "H-1", "supplier_party_id": supplier, "mineral": "gold",
        "quantity": {"value": 1.5, "unit": "kg"}, "purchased_on": "2026-03-14",
    })
}

async fn hostile_bodies_on_purchases_are_4xx_and_store_nothing(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let json_type = "application/json";

    // Deeply nested JSON, as a whole body and inside a member.
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    for path in ["/v1/purchases", "/v1/purchases/batch"] {
        let response = send_raw(raw(
            &app,
            Method::POST,
            path,
            &buyer,
            json_type,
            deep.clone(),
        ))
        .await;
        let status = response.status().as_u16();
        assert!(
            status == 400 || status == 413 || status == 422,
            "{path}: {status}"
        );
        assert_problem(response, status).await;
    }
    let nested_member = format!(
        r#"{{"external_ref":"H-1","supplier_party_id":"{supplier}","mineral":"gold","quantity":{}1{},"purchased_on":"2026-03-14"}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases",
        &buyer,
        json_type,
        nested_member,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;
    let deep_ndjson = "{\"a\":".repeat(50_000) + "1" + &"}".repeat(50_000);
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases/batch",
        &buyer,
        "application/x-ndjson",
        deep_ndjson,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;

    // 10 MB: beyond the single route's limit (413); within the batch limit, but not a batch.
    let ten_mb = vec![b'x'; 10 * 1024 * 1024];
    assert_problem(
        send_raw(raw(
            &app,
            Method::POST,
            "/v1/purchases",
            &buyer,
            json_type,
            ten_mb.clone(),
        ))
        .await,
        413,
    )
    .await;
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases/batch",
        &buyer,
        json_type,
        ten_mb.clone(),
    ))
    .await;
    assert_problem(response, 400).await;
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases/batch",
        &buyer,
        "text/csv",
        ten_mb,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;
    assert_problem(
        send_raw(raw(
            &app,
            Method::PUT,
            "/v1/policy",
            &buyer,
            json_type,
            vec![b' '; 10 * 1024 * 1024],
        ))
        .await,
        413,
    )
    .await;

    // Invalid UTF-8 in every format.
    let mut bad_utf8 = purchase(&supplier).to_string().into_bytes();
    let at = bad_utf8.windows(3).position(|w| w == b"H-1").unwrap();
    bad_utf8[at] = 0xff;
    assert_problem(
        send_raw(raw(
            &app,
            Method::POST,
            "/v1/purchases",
            &buyer,
            json_type,
            bad_utf8.clone(),
        ))
        .await,
        400,
    )
    .await;
    let mut array = b"[".to_vec();
    array.extend(&bad_utf8);
    array.push(b']');
    assert_problem(
        send_raw(raw(
            &app,
            Method::POST,
            "/v1/purchases/batch",
            &buyer,
            json_type,
            array,
        ))
        .await,
        400,
    )
    .await;
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases/batch",
        &buyer,
        "application/x-ndjson",
        bad_utf8,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;
    let csv = format!(
        "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on\nH-\u{0}1,{supplier},gold,1,kg,2026-03-14\n"
    );
    let mut csv = csv.into_bytes();
    let at = csv.iter().position(|b| *b == 0).unwrap();
    csv[at] = 0xfe;
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases/batch",
        &buyer,
        "text/csv",
        csv,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;

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
        let mut body = purchase(&supplier);
        body["quantity"] = json!({"value": value, "unit": unit});
        let problem = assert_problem(
            send_raw(app.post("/v1/purchases", &buyer, &body)).await,
            422,
        )
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
    let response = send_raw(raw(
        &app,
        Method::POST,
        "/v1/purchases",
        &buyer,
        json_type,
        beyond_f64,
    ))
    .await;
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{status}");
    assert_problem(response, status).await;
    for value in [
        "1e-34",
        "9223372036854775807e10",
        "99999999999999999999999999999999999",
        "NaN",
        "inf",
    ] {
        let csv = format!(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on\nH-1,{supplier},gold,{value},troy_oz,2026-03-14\n"
        );
        let problem = assert_problem(
            send_raw(raw(
                &app,
                Method::POST,
                "/v1/purchases/batch",
                &buyer,
                "text/csv",
                csv,
            ))
            .await,
            422,
        )
        .await;
        assert_eq!(
            pointers(&problem),
            vec!["/0/quantity_value"],
            "{value}: {problem}"
        );
    }

    // 1 MB strings: over the single route's limit, and a field too long in a batch.
    let mut long = purchase(&supplier);
    long["external_ref"] = json!("R".repeat(1024 * 1024));
    assert_problem(
        send_raw(app.post("/v1/purchases", &buyer, &long)).await,
        413,
    )
    .await;
    let problem = assert_problem(
        send_raw(app.post("/v1/purchases/batch", &buyer, &json!([long]))).await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/0/external_ref"], "{problem}");

    // Unknown members are refused, by name, and not stored.
    let mut unknown = purchase(&supplier);
    unknown["organisation_id"] = json!(buyer.org_id);
    unknown["surprise"] = json!({"nested": true});
    let problem = assert_problem(
        send_raw(app.post("/v1/purchases", &buyer, &unknown)).await,
        422,
    )
    .await;
    assert!(
        pointers(&problem)
            .iter()
            .any(|p| p == "/organisation_id" || p == "/surprise"),
        "{problem}"
    );
    let problem = assert_problem(
        send_raw(app.post("/v1/purchases/batch", &buyer, &json!([unknown]))).await,
        422,
    )
    .await;
    assert!(
        pointers(&problem).iter().all(|p| p.starts_with("/0/")),
        "{problem}"
    );
    let mut quantity_extra = purchase(&supplier);
    quantity_extra["quantity"]["mg"] = json!(1);
    assert_problem(
        send_raw(app.post("/v1/purchases", &buyer, &quantity_extra)).await,
        422,
    )
    .await;
    let csv = format!(
        "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,organisation_id\nH-1,{supplier},gold,1,kg,2026-03-14,{}\n",
        buyer.org_id
    );
    assert_problem(
        send_raw(raw(
            &app,
            Method::POST,
            "/v1/purchases/batch",
            &buyer,
            "text/csv",
            csv,
        ))
        .await,
        422,
    )
    .await;
    let (_, current) = send(app.get("/v1/policy", &buyer)).await;
    let mut policy = current["policy"].clone();
    policy["organisation_id"] = json!("someone-else");
    assert_problem(
        send_raw(app.request(Method::PUT, "/v1/policy", &buyer).json(&policy)).await,
        422,
    )
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
        raw(
            &app,
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
        let response = send_raw(patch(body)).await;
        let status = response.status().as_u16();
        assert!(
            statuses.contains(&status),
            "{status}, expected {statuses:?}"
        );
        assert_problem(response, status).await;
    }
    let (_, after) = send(app.get(&path, &app.operator)).await;
    assert_eq!(before, after, "the facility is unchanged");
}

both_backends!(
    hostile_bodies_on_purchases_are_4xx_and_store_nothing,
    hostile_parameters_are_400,
    hostile_patches_are_4xx_and_change_nothing,
);
