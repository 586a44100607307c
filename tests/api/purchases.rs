//! Purchases from the ERP: single lines, upserts by external_ref, batches, and tenancy.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Facility, Origin, PURCHASE_CSV_HEADER, PurchaseLine};
use crate::fixtures;
use crate::helpers::{HasId, TestApp, assert_problem, pointers, send, send_raw};

/// A line of `kg` bought on 2026-03-14.
fn line(external_ref: &str, supplier: &str, kg: f64) -> PurchaseLine {
    PurchaseLine::new(external_ref, supplier).kg(kg)
}

async fn lines_are_created_updated_and_unchanged(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Andes Trading SA").await;
    let mine = fixtures::mine(&app, "Cerro Azul Cooperative", "asm", "PE").await;
    let mut body = line("SAP-1", &supplier, 12.5)
        .declared([Origin::facility(&mine, 0.6), Origin::class("recycled", 0.4)])
        .json();

    let response = send_raw(app.post("/v1/purchases", &buyer, &body)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["result"], "created");
    let purchase = &created["purchase"];
    assert_eq!(
        location,
        format!("/v1/purchases/{}", purchase["id"].as_str().unwrap())
    );
    assert_eq!(purchase["quantity"]["mg"], 12_500_000);
    assert_eq!(purchase["quantity"]["kg"], "12.5");
    let origins = purchase["declared_origin"].as_array().unwrap();
    assert_eq!(
        origins[0]["origin_class"], "asm",
        "from the facility's mining scale"
    );
    assert_eq!(origins[0]["country"], "PE", "from the facility");
    assert_eq!(origins[0]["quantity_mg"], 7_500_000);
    assert_eq!(origins[1]["quantity_mg"], 5_000_000);

    let (status, again) = send(app.post("/v1/purchases", &buyer, &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["result"], "unchanged");
    assert_eq!(again["purchase"]["id"], purchase["id"]);

    body["quantity"]["value"] = json!(13);
    let (status, updated) = send(app.post("/v1/purchases", &buyer, &body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["result"], "updated");
    assert_eq!(
        updated["purchase"]["id"], purchase["id"],
        "same purchase, same id"
    );
    assert_eq!(updated["purchase"]["quantity"]["mg"], 13_000_000);

    let (status, read) = send(app.get(&location, &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["quantity"]["kg"], "13");

    // Troy ounces are stored to the nearest milligram and shown as stored.
    let troy = PurchaseLine::new("SAP-2", &supplier).quantity(1.0, "troy_oz");
    let (_, troy) = send(app.post("/v1/purchases", &buyer, &troy)).await;
    assert_eq!(troy["purchase"]["quantity"]["mg"], 31_103);
    assert!(troy["purchase"]["declared_origin"].is_null());

    let (status, _) = send(app.request(Method::DELETE, &location, &buyer)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_problem(send_raw(app.get(&location, &buyer)).await, 404).await;
    assert_problem(
        send_raw(app.request(Method::DELETE, &location, &buyer)).await,
        404,
    )
    .await;
}

async fn bad_lines_are_refused_by_field(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let smelter = Facility::smelter("Smelter")
        .minerals(&["tin"])
        .country("MY")
        .status("operating");
    let smelter = app.create_facility(smelter).await.id();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"quantity": {"value": 0, "unit": "kg"}}),
            "/quantity/value",
        ),
        (
            json!({"quantity": {"value": -5, "unit": "kg"}}),
            "/quantity/value",
        ),
        (
            json!({"quantity": {"value": 0.0001, "unit": "g"}}),
            "/quantity/value",
        ),
        (
            json!({"quantity": {"value": 1, "unit": "lb"}}),
            "/quantity/unit",
        ),
        (json!({"mineral": "unobtainium"}), "/mineral"),
        (json!({"purchased_on": "2026-02-30"}), "/purchased_on"),
        (json!({"purchased_on": "1800-01-01"}), "/purchased_on"),
        (
            json!({"supplier_party_id": "0193c3a0-0000-7000-8000-000000000000"}),
            "/supplier_party_id",
        ),
        (json!({"supplier_party_id": "nope"}), "/supplier_party_id"),
        (json!({"external_ref": ""}), "/external_ref"),
        (
            json!({"lot_id": "0193c3a0-0000-7000-8000-000000000000"}),
            "/lot_id",
        ),
        (
            json!({"declared_origin": [{"origin_class": "asm", "share": 0.5}, {"origin_class": "lsm", "share": 0.4}]}),
            "/declared_origin",
        ),
        (
            json!({"declared_origin": [{"facility_id": smelter, "share": 1}]}),
            "/declared_origin/0/facility_id",
        ),
        (
            json!({"declared_origin": [{"origin_class": "asm", "country": "ZZ", "share": 1}]}),
            "/declared_origin/0/country",
        ),
        (json!({"colour": "gold"}), "/colour"),
    ];
    for (change, pointer) in cases {
        let mut body = line("SAP-X", &supplier, 1.0).json();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = send_raw(app.post("/v1/purchases", &buyer, &body)).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{change}");
    }
    let (_, list) = send(app.get("/v1/purchases", &buyer)).await;
    assert_eq!(list["items"], json!([]), "nothing was written");
}

async fn purchases_belong_to_their_organisation(app: TestApp) {
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let (_, created) = send(app.post("/v1/purchases", &a, &line("SAP-1", &supplier, 5.0))).await;
    let id = created["purchase"]["id"].as_str().unwrap().to_owned();

    assert_problem(
        send_raw(app.get(&format!("/v1/purchases/{id}"), &b)).await,
        404,
    )
    .await;
    assert_problem(
        send_raw(app.request(Method::DELETE, &format!("/v1/purchases/{id}"), &b)).await,
        404,
    )
    .await;
    let (_, list) = send(app.get("/v1/purchases", &b)).await;
    assert_eq!(list["items"], json!([]));
    // B may use the same external_ref: it is a different line of a different organisation.
    let (status, own) = send(app.post("/v1/purchases", &b, &line("SAP-1", &supplier, 7.0))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(own["purchase"]["id"], created["purchase"]["id"]);
    let (_, mine) = send(app.get(&format!("/v1/purchases/{id}"), &a)).await;
    assert_eq!(mine["quantity"]["kg"], "5", "A's line is untouched");

    let reader = app
        .organisation("Reader", "purchaser", &["purchases:read"])
        .await;
    let forbidden = send_raw(app.post("/v1/purchases", &reader, &line("X", &supplier, 1.0))).await;
    assert_problem(forbidden, 403).await;
}

async fn purchase_lists_filter(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let s1 = fixtures::supplier(&app, "S1").await;
    let s2 = fixtures::supplier(&app, "S2").await;
    for (i, (supplier, mineral, date)) in [
        (&s1, "gold", "2026-01-10"),
        (&s1, "tin", "2026-02-10"),
        (&s2, "gold", "2026-03-10"),
    ]
    .into_iter()
    .enumerate()
    {
        let body = line(&format!("L-{i}"), supplier, 1.0)
            .mineral(mineral)
            .on(date);
        app.create_purchase(&buyer, &body).await;
    }
    let refs = |query: String| {
        let app = &app;
        let buyer = &buyer;
        async move {
            let (status, list) = send(app.get(&format!("/v1/purchases?{query}"), buyer)).await;
            assert_eq!(status, StatusCode::OK, "{list}");
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["external_ref"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(refs("mineral=gold".into()).await, vec!["L-0", "L-2"]);
    assert_eq!(
        refs(format!("supplier_party_id={s1}")).await,
        vec!["L-0", "L-1"]
    );
    assert_eq!(
        refs("from=2026-02-01&to=2026-02-28".into()).await,
        vec!["L-1"]
    );
    assert_eq!(refs("external_ref=L-2".into()).await, vec!["L-2"]);
    assert_eq!(refs("limit=2".into()).await.len(), 2);
    for bad in ["mineral=lead", "from=2026-13-01", "supplier=x"] {
        assert_problem(
            send_raw(app.get(&format!("/v1/purchases?{bad}"), &buyer)).await,
            400,
        )
        .await;
    }
}

fn csv(supplier: &str, rows: usize, start: usize) -> String {
    let mut text = format!("{PURCHASE_CSV_HEADER},declared_origin\n");
    for i in start..start + rows {
        let month = i % 12 + 1;
        text.push_str(&format!(
            "ERP-{i},{supplier},gold,{}.5,kg,2026-{month:02}-15,asm:PE=0.25;lsm=0.5;recycled=0.25\n",
            i % 7 + 1
        ));
    }
    text
}

async fn csv_batches_are_all_or_none_and_idempotent(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let post_csv = |body: String| app.purchases_csv(&buyer, body);
    let first = csv(&supplier, 3_500, 0);
    let (status, result) = send(post_csv(first.clone())).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        result,
        json!({"rows": 3500, "created": 3500, "updated": 0, "unchanged": 0})
    );
    let (_, again) = send(post_csv(first.clone())).await;
    assert_eq!(
        again,
        json!({"rows": 3500, "created": 0, "updated": 0, "unchanged": 3500})
    );

    let changed = first.replacen("ERP-7,", "ERP-7-renamed,", 1).replacen(
        &format!("ERP-8,{supplier},gold,2.5,"),
        &format!("ERP-8,{supplier},gold,9.5,"),
        1,
    );
    let (_, result) = send(post_csv(changed)).await;
    assert_eq!(result["created"], 1);
    assert_eq!(result["updated"], 1);

    // Row 3,001 is bad: nothing of the batch is written.
    let bad = csv(&supplier, 3_005, 10_000);
    let bad = bad.replace(
        &format!("ERP-13000,{supplier},gold,"),
        &format!("ERP-13000,{supplier},gold,-"),
    );
    let response = send_raw(post_csv(bad)).await;
    let problem = assert_problem(response, 422).await;
    assert_eq!(pointers(&problem), vec!["/3000/quantity_value"]);
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("row 3001:")
    );
    let (_, page) = send(app.get("/v1/purchases?external_ref=ERP-10000", &buyer)).await;
    assert_eq!(page["items"], json!([]), "nothing written");

    let missing_column = "external_ref,mineral\nA,gold\n".to_owned();
    let problem = assert_problem(send_raw(post_csv(missing_column)).await, 422).await;
    assert!(pointers(&problem).contains(&"/columns/supplier_party_id".to_owned()));

    let text = send_raw(
        app.request(Method::POST, "/v1/purchases/batch", &buyer)
            .header("content-type", "text/plain")
            .body("x"),
    )
    .await;
    assert_problem(text, 415).await;
}

async fn json_and_ndjson_batches(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let rows: Vec<PurchaseLine> = (0..5)
        .map(|i| line(&format!("J-{i}"), &supplier, 1.0))
        .collect();
    let (status, result) = send(
        app.request(Method::POST, "/v1/purchases/batch", &buyer)
            .json(&rows)
            .header("idempotency-key", "batch-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 5);
    let replay = send_raw(
        app.request(Method::POST, "/v1/purchases/batch", &buyer)
            .json(&rows)
            .header("idempotency-key", "batch-1"),
    )
    .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replayed: Value = replay.json().await.unwrap();
    assert_eq!(replayed["created"], 5, "the first answer, replayed");

    let ndjson: String = (5..8)
        .map(|i| line(&format!("J-{i}"), &supplier, 2.0).to_string() + "\n")
        .collect();
    let (status, result) = send(
        app.request(Method::POST, "/v1/purchases/batch", &buyer)
            .header("content-type", "application/x-ndjson")
            .body(ndjson),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 3);

    let mut duplicate = rows.clone();
    duplicate.push(line("J-0", &supplier, 3.0));
    let problem = assert_problem(
        send_raw(
            app.request(Method::POST, "/v1/purchases/batch", &buyer)
                .json(&duplicate),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/5/external_ref"]);
    let unknown_supplier = vec![line("J-9", "0193c3a0-0000-7000-8000-000000000000", 1.0)];
    let problem = assert_problem(
        send_raw(
            app.request(Method::POST, "/v1/purchases/batch", &buyer)
                .json(&unknown_supplier),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/0/supplier_party_id"]);
}

/// The routes that name a batch's format (`batch.csv`, `batch.ndjson`, for generated clients)
/// take the file as it is, as its own media type or as `application/octet-stream`, and answer
/// as `POST /v1/purchases/batch` does; any other media type is 415.
async fn batches_as_files_on_their_own_routes(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let file = |path: &str, content_type: &str, body: String| {
        app.with_body(Method::POST, path, &buyer, content_type, body)
    };
    let text = csv(&supplier, 20, 0);
    let csv_route = "/v1/purchases/batch.csv";
    let (status, result) = send(file(csv_route, "application/octet-stream", text.clone())).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        result,
        json!({"rows": 20, "created": 20, "updated": 0, "unchanged": 0})
    );
    let (status, again) = send(file(csv_route, "text/csv; charset=utf-8", text.clone())).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["unchanged"], 20, "the same file through either route");
    let (_, same) = send(app.purchases_csv(&buyer, text.clone())).await;
    assert_eq!(same["unchanged"], 20);
    for wrong in ["application/json", "application/x-ndjson", "text/plain"] {
        assert_problem(send_raw(file(csv_route, wrong, text.clone())).await, 415).await;
    }
    let bad = text.replacen(
        &format!("ERP-3,{supplier},gold,"),
        &format!("ERP-3,{supplier},gold,-"),
        1,
    );
    let problem = assert_problem(
        send_raw(file(csv_route, "application/octet-stream", bad)).await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), vec!["/3/quantity_value"]);

    let ndjson: String = (0..3)
        .map(|i| line(&format!("N-{i}"), &supplier, 2.0).to_string() + "\n")
        .collect();
    let ndjson_route = "/v1/purchases/batch.ndjson";
    let (status, result) = send(
        file(ndjson_route, "application/octet-stream", ndjson.clone())
            .header("idempotency-key", "ndjson-1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["created"], 3);
    let replay = send_raw(
        file(ndjson_route, "application/octet-stream", ndjson.clone())
            .header("idempotency-key", "ndjson-1"),
    )
    .await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (status, again) = send(file(ndjson_route, "application/x-ndjson", ndjson.clone())).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["unchanged"], 3);
    assert_problem(send_raw(file(ndjson_route, "text/csv", ndjson)).await, 415).await;
    assert_problem(send_raw(app.get(csv_route, &buyer)).await, 405).await;
}

/// The same new lines sent twice at once (an ERP job retried on another instance, a single
/// line posted twice) are written once, and both requests succeed: the second upserts what
/// the first wrote, as if they had come one after the other (on PostgreSQL the transaction
/// that loses the race on a unique key runs again).
async fn concurrent_identical_writes_are_written_once(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    for round in 0..4 {
        let mut csv = format!("{PURCHASE_CSV_HEADER}\n");
        for n in 0..100 {
            csv.push_str(&format!(
                "RACE-{round}-{n},{supplier},gold,1.5,kg,2026-04-01\n"
            ));
        }
        let (first, second) = tokio::join!(
            send(app.purchases_csv(&buyer, csv.clone())),
            send(app.purchases_csv(&buyer, csv.clone()))
        );
        for (status, body) in [first, second] {
            assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        }
        let line = PurchaseLine::new(&format!("SINGLE-{round}"), &supplier).kg(1);
        let (first, second) = tokio::join!(
            send(app.post("/v1/purchases", &buyer, &line)),
            send(app.post("/v1/purchases", &buyer, &line))
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CREATED],
            "round {round}: one creates, the other finds it unchanged: {} {}",
            first.1,
            second.1
        );
    }
    let stored = app.items(&buyer, "/v1/purchases?limit=500").await;
    assert_eq!(stored.len(), 4 * 101);
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(
        mix["overall"]["total_mg"],
        4 * (100 * 1_500_000 + 1_000_000)
    );
}

/// A batch that changes many stored lines at once (on PostgreSQL one set-based replacement for
/// all of them) replaces each whole: its supplier, quantity and unit, date, lot and declared
/// origins, while the unchanged ones keep their timestamps; the mix then counts exactly the new
/// lines.
async fn a_batch_changing_many_lines_replaces_each_whole(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let s1 = fixtures::supplier(&app, "S1").await;
    let s2 = fixtures::supplier(&app, "S2").await;
    let mine = fixtures::mine(&app, "Mine", "asm", "PE").await;
    let lot = fixtures::lot(&app, &buyer, "LOT-1", 1000.0).await;
    let header = "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,lot_id,declared_origin";
    let mut first = format!("{header}\n");
    for n in 0..40 {
        first.push_str(&format!(
            "M-{n},{s1},gold,{},kg,2026-02-{:02},,facility:{mine}=0.5;recycled=0.5\n",
            n + 1,
            1 + n % 28
        ));
    }
    let (status, created) = send(app.purchases_csv(&buyer, first)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["created"], 40);
    let before = app.items(&buyer, "/v1/purchases?limit=500").await;

    // Even lines change (another supplier, grams, another day, a lot, other origins);
    // odd lines are sent again as they were.
    let mut second = format!("{header}\n");
    for n in 0..40 {
        if n % 2 == 0 {
            second.push_str(&format!(
                "M-{n},{s2},gold,{},g,2026-03-{:02},{lot},lsm:AU=1\n",
                (n + 10) * 100,
                1 + n % 28
            ));
        } else {
            second.push_str(&format!(
                "M-{n},{s1},gold,{},kg,2026-02-{:02},,facility:{mine}=0.5;recycled=0.5\n",
                n + 1,
                1 + n % 28
            ));
        }
    }
    let (status, changed) = send(app.purchases_csv(&buyer, second)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["updated"].clone(), changed["unchanged"].clone()),
        (json!(20), json!(20))
    );

    let after = app.items(&buyer, "/v1/purchases?limit=500").await;
    assert_eq!(after.len(), 40, "changed in place, none added");
    let by_ref = |items: &[Value], r: &str| {
        items
            .iter()
            .find(|p| p["external_ref"] == r)
            .unwrap_or_else(|| panic!("{r} missing"))
            .clone()
    };
    for n in 0..40 {
        let r = format!("M-{n}");
        let (old, new) = (by_ref(&before, &r), by_ref(&after, &r));
        assert_eq!(old["id"], new["id"], "{r}: same purchase");
        if n % 2 == 0 {
            assert_eq!(new["supplier_party_id"], s2.as_str(), "{r}");
            assert_eq!(new["quantity"]["unit"], "g", "{r}: {new}");
            assert_eq!(new["quantity"]["mg"], (n + 10) * 100_000, "{r}");
            assert_eq!(
                new["purchased_on"],
                format!("2026-03-{:02}", 1 + n % 28),
                "{r}"
            );
            assert_eq!(new["lot_id"], lot.as_str(), "{r}");
            let origins = new["declared_origin"].as_array().expect("origins");
            assert_eq!(origins.len(), 1, "{r}: the old origin rows are gone: {new}");
            assert_eq!(origins[0]["origin_class"], "lsm");
            assert_eq!(origins[0]["country"], "AU");
            assert_ne!(old["updated_at"], new["updated_at"], "{r}");
        } else {
            assert_eq!(old, new, "{r}: unchanged, untouched");
        }
    }
    // The mix counts the stored lines exactly, none of the replaced rows.
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    let total: i64 = (0..40)
        .map(|n| {
            if n % 2 == 0 {
                (n + 10) * 100_000
            } else {
                (n + 1) * 1_000_000
            }
        })
        .sum();
    assert_eq!(mix["overall"]["total_mg"], total, "{mix}");
    let (_, lsm) = send(app.get("/v1/sourcing-mix?from=2026-03-01&to=2026-03-31", &buyer)).await;
    let changed: i64 = (0..40)
        .filter(|n| n % 2 == 0)
        .map(|n| (n + 10) * 100_000)
        .sum();
    assert_eq!(
        lsm["overall"]["total_mg"], changed,
        "March holds the changed lines: {lsm}"
    );
}

/// Two batches changing the same stored lines at once (two ERP jobs, two replicas) both
/// succeed, and what is stored is one of them per line, with the mix counting exactly the
/// stored lines (no origin row or rollup cell of a replaced version left behind).
async fn concurrent_batches_changing_the_same_lines_leave_the_mix_exact(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let mine = fixtures::mine(&app, "Mine", "lsm", "AU").await;
    let batch = |kg: u32, origin: &str| {
        let mut csv = String::from(
            "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n",
        );
        for n in 0..30 {
            csv.push_str(&format!(
                "C-{n},{supplier},gold,{kg},kg,2026-04-{:02},{origin}\n",
                1 + n % 28
            ));
        }
        csv
    };
    let (status, body) = send(app.purchases_csv(&buyer, batch(1, ""))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (first, second) = tokio::join!(
        send(app.purchases_csv(&buyer, batch(2, &format!("facility:{mine}=1")))),
        send(app.purchases_csv(&buyer, batch(3, "recycled=1")))
    );
    for (status, body) in [&first, &second] {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let stored = app.items(&buyer, "/v1/purchases?limit=500").await;
    assert_eq!(stored.len(), 30);
    let total: i64 = stored
        .iter()
        .map(|p| p["quantity"]["mg"].as_i64().unwrap())
        .sum();
    assert!(
        total == 30 * 2_000_000 || total == 30 * 3_000_000,
        "one batch wins whole: {total}"
    );
    for purchase in &stored {
        let origins = purchase["declared_origin"].as_array().expect("origins");
        assert_eq!(
            origins.len(),
            1,
            "one version's origin rows only: {purchase}"
        );
    }
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(mix["overall"]["total_mg"], total, "{mix}");
}

both_backends!(
    concurrent_identical_writes_are_written_once,
    concurrent_batches_changing_the_same_lines_leave_the_mix_exact,
    a_batch_changing_many_lines_replaces_each_whole,
    lines_are_created_updated_and_unchanged,
    bad_lines_are_refused_by_field,
    purchases_belong_to_their_organisation,
    purchase_lists_filter,
    csv_batches_are_all_or_none_and_idempotent,
    json_and_ndjson_batches,
    batches_as_files_on_their_own_routes,
    reversals_are_kept_in_the_organisations_audit_trail,
);

/// A batch over the row limit is refused before anything is parsed into the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_over_the_row_limit_are_413() {
    let Some(app) = TestApp::spawn(crate::helpers::Backend::Sqlite).await else {
        return;
    };
    let buyer = app.purchaser("Buyer").await;
    let supplier = "0193c3a0-0000-7000-8000-000000000001";
    let mut body = format!("{PURCHASE_CSV_HEADER}\n");
    for i in 0..=oretrace::app::batch::limits::PURCHASE_ROWS {
        body.push_str(&format!("R{i},{supplier},gold,1,kg,2026-01-01\n"));
    }
    let response = send_raw(app.purchases_csv(&buyer, body)).await;
    assert_problem(response, 413).await;
}

async fn reversals_are_kept_in_the_organisations_audit_trail(app: TestApp) {
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    let supplier = fixtures::supplier(&app, "Supplier").await;
    let id = app
        .create_purchase(&a, &line("SAP-9", &supplier, 2.0))
        .await
        .id();
    app.delete_purchase(&a, &id).await;

    let (status, trail) = send(app.get(
        &format!("/v1/audit-events?entity_type=purchase&entity_id={id}"),
        &a,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let events = trail["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{trail}");
    assert_eq!(events[0]["action"], "delete");
    assert_eq!(
        events[0]["changes"]["external_ref"], "SAP-9",
        "the deleted line is kept whole"
    );
    assert_eq!(events[0]["changes"]["quantity"]["mg"], 2_000_000);

    let (_, theirs) = send(app.get("/v1/audit-events", &b)).await;
    assert!(
        !theirs.to_string().contains(&id),
        "another organisation never sees it: {theirs}"
    );
    assert_problem(
        send_raw(app.get("/v1/audit-events?entity_type=facility", &a)).await,
        403,
    )
    .await;
}
