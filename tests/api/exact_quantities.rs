//! Quantities that reconcile to the ounce (issue 18): troy ounces kept exactly, sums exact in
//! every unit, a database written before the change converted exactly.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::builders::PurchaseLine;
use crate::builders::{Event, Lot};
use crate::fixtures;
use crate::helpers::{Client, HasId, TestApp, send, send_raw};

async fn mix(app: &TestApp, buyer: &Client, unit: &str) -> Value {
    let (status, body) = send(app.get(
        &format!("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&unit={unit}"),
        buyer,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn trace_in(app: &TestApp, client: &Client, path: &str, unit: &str) -> Value {
    let (status, body) = send(app.get(&format!("{path}?unit={unit}"), client)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn flag_kinds(written: &Value) -> Vec<&str> {
    written["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

/// Mass balance in troy ounces is judged on the exact micro ounces (two half ounces out of an
/// ounce pass, where their rounded milligrams, 15,552 each, outweigh the ounce's 31,103; 1,000
/// oz out of 1,000 oz pass, 0.001 oz more does not), and traces answer exactly in the unit
/// asked, a supplier's mixed-unit purchases too.
async fn ounces_balance_and_trace_exactly(app: TestApp) {
    let buyer = app.purchaser("Bullion buyer").await;
    let other = app.purchaser("Someone else").await;
    let c = fixtures::chain_catalog(&app).await;
    let ounces = |reference: &str, oz: f64| Lot::new(reference).quantity(oz, "troy_oz");
    let grain = app.create_lot(&buyer, &ounces("GRAIN-1", 1.0)).await.id();
    let half_a = app.create_lot(&buyer, &ounces("HALF-A", 0.5)).await.id();
    let half_b = app.create_lot(&buyer, &ounces("HALF-B", 0.5)).await.id();
    app.record_event(
        &buyer,
        &Event::extraction("2026-01-10", &c.asm_mine).output(&grain),
    )
    .await;
    for (day, half) in [("2026-02-01", &half_a), ("2026-02-02", &half_b)] {
        let written = app
            .record_event(
                &buyer,
                &Event::transformation(day, &c.refiner)
                    .input_in(&grain, 0.5, "troy_oz")
                    .output(half),
            )
            .await;
        assert_eq!(written["flags"], serde_json::json!([]), "{written}");
    }

    let dore = app
        .create_lot(&buyer, &ounces("DORE-1000", 1000.0))
        .await
        .id();
    let bar = app
        .create_lot(&buyer, &ounces("BAR-1000", 1000.0))
        .await
        .id();
    let sliver = app.create_lot(&buyer, &ounces("SLIVER", 0.001)).await.id();
    app.record_event(
        &buyer,
        &Event::extraction("2026-01-12", &c.lsm_mine).output(&dore),
    )
    .await;
    let whole = app
        .record_event(
            &buyer,
            &Event::transformation("2026-02-03", &c.refiner)
                .input_in(&dore, 1000, "troy_oz")
                .output(&bar),
        )
        .await;
    assert_eq!(whole["flags"], serde_json::json!([]), "{whole}");
    let consumed = &whole["event"]["inputs"][0];
    assert_eq!(consumed["quantity_uozt"], 1_000_000_000, "{whole}");
    assert_eq!(consumed["quantity_kg"], "31.1034768");
    assert!(whole["event"]["outputs"][0].get("quantity_uozt").is_some());
    let beyond = app
        .record_event(
            &buyer,
            &Event::transformation("2026-02-04", &c.refiner)
                .input_in(&dore, 0.001, "troy_oz")
                .output(&sliver),
        )
        .await;
    assert_eq!(flag_kinds(&beyond), ["mass_balance_exceeded"], "{beyond}");
    let message = beyond["flags"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("1000.001 troy_oz") && message.contains("beyond its 1000 troy_oz"),
        "{message}"
    );

    // A trace in the unit asked for, exactly; kilograms by default (the policy's unit).
    let half = trace_in(
        &app,
        &buyer,
        &format!("/v1/lots/{half_a}/provenance"),
        "troy_oz",
    )
    .await;
    assert_eq!(
        (&half["unit"], &half["quantity"]),
        (&Value::from("troy_oz"), &Value::from("0.5"))
    );
    assert_eq!(half["origins"][0]["quantity"], "0.5");
    assert_eq!(half["origins"][0]["facility_id"], c.asm_mine.as_str());
    assert_eq!(half["summary"]["mines"]["quantity"], "0.5");
    let (_, default) = send(app.get(&format!("/v1/lots/{half_a}/provenance"), &buyer)).await;
    assert_eq!(
        (&default["unit"], &default["quantity"]),
        (&Value::from("kg"), &Value::from("0.0155517384"))
    );

    // A supplier's half ounce (through its lot) and a kilogram (no lot), traced together:
    // mixed units apportioned exactly.
    let supplier = fixtures::supplier(&app, "Refiner").await;
    let through_lot = PurchaseLine::new("P-HALF", &supplier)
        .quantity(0.5, "troy_oz")
        .on("2026-03-01")
        .lot(&half_a);
    let id = app.create_purchase(&buyer, &through_lot).await.id();
    let kilo = PurchaseLine::new("P-KILO", &supplier)
        .kg(1)
        .on("2026-03-02");
    app.create_purchase(&buyer, &kilo).await;
    let party = trace_in(
        &app,
        &buyer,
        &format!("/v1/parties/{supplier}/provenance"),
        "g",
    )
    .await;
    assert_eq!(party["quantity"], "1015.5517384");
    assert_eq!(party["summary"]["mines"]["quantity"], "15.5517384");
    assert_eq!(party["summary"]["untraced"]["quantity"], "1000");
    // The mix counts the traced half ounce exactly (its trace apportions micro ounces).
    let grams = mix(&app, &buyer, "g").await;
    assert_eq!(grams["overall"]["total"], "1015.5517384");
    assert_eq!(grams["overall"]["classes"][0]["origin_class"], "asm");
    assert_eq!(grams["overall"]["classes"][0]["quantity"], "15.5517384");
    let purchase = trace_in(
        &app,
        &buyer,
        &format!("/v1/purchases/{id}/provenance"),
        "troy_oz",
    )
    .await;
    assert_eq!(purchase["attributions"][0]["quantity"], "0.5");

    // Bad units are 400; another organisation's lot is 404 whatever the unit.
    let (status, _) =
        send(app.get(&format!("/v1/lots/{half_a}/provenance?unit=grain"), &buyer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(app.get(&format!("/v1/lots/{half_a}/provenance?unit=g"), &other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// 2,100 lines of one troy ounce are 2,100 troy ounces, 65,317.30128 g: with each line rounded
/// to the milligram they came out a gram short (65,316.300 g).
async fn ounces_sum_exactly(app: TestApp) {
    let buyer = app.purchaser("Bullion buyer").await;
    let supplier = fixtures::supplier(&app, "Refiner").await;
    let mut csv = String::from(
        "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on\n",
    );
    for n in 0..2_100 {
        csv.push_str(&format!("COIN-{n},{supplier},gold,1,troy_oz,2026-03-14\n"));
    }
    let (status, body) = send(app.purchases_csv(&buyer, csv)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let ounces = mix(&app, &buyer, "troy_oz").await;
    assert_eq!(ounces["unit"], "troy_oz");
    assert_eq!(ounces["overall"]["total"], "2100");
    let grams = mix(&app, &buyer, "g").await;
    assert_eq!(grams["overall"]["total"], "65317.30128");
    assert_eq!(grams["overall"]["total_mg"], 65_317_301);
    let unknown = &grams["overall"]["classes"][3];
    assert_eq!(unknown["quantity"], "65317.30128");
    assert_eq!(unknown["share"]["value"], "1.000000");
    assert_eq!(unknown["share"]["numerator_fg"], "65317301280000000000");

    // A metric line beside them: shares are exact fractions of femtograms.
    let kilo = PurchaseLine::new("BAR-1", &supplier)
        .kg(1)
        .on("2026-03-15")
        .declared([crate::builders::Origin::class("recycled", 1)]);
    app.create_purchase(&buyer, &kilo).await;
    let grams = mix(&app, &buyer, "g").await;
    assert_eq!(grams["overall"]["total"], "66317.30128");
    let recycled = &grams["overall"]["classes"][2];
    assert_eq!(recycled["share"]["numerator_fg"], "1000000000000000000");
    assert_eq!(recycled["share"]["denominator_fg"], "66317301280000000000");
    // 1000 / 66317.30128 = 0.0150790…
    assert_eq!(recycled["share"]["value"], "0.015079");

    // CSV says what JSON says.
    let csv = send_raw(
        app.get(
            "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&unit=g",
            &buyer,
        )
        .header("Accept", "text/csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let recycled_row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("overall,recycled"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(recycled_row[column("unit")], "g");
    assert_eq!(recycled_row[column("quantity")], "1000");
    assert_eq!(recycled_row[column("total")], "66317.30128");
}

/// More than six decimals of a troy ounce are refused, naming the field; a unit the mix does
/// not know is a 400.
async fn precision_is_stated(app: TestApp) {
    let buyer = app.purchaser("Bullion buyer").await;
    let supplier = fixtures::supplier(&app, "Refiner").await;
    let line = PurchaseLine::new("FINE-1", &supplier).quantity(1.0000001, "troy_oz");
    let (status, problem) = send(app.post("/v1/purchases", &buyer, &line)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("at most 6 decimals in troy_oz"),
        "{problem}"
    );
    let (status, _) = send(app.get("/v1/sourcing-mix?unit=grain", &buyer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A database written by the previous schema (troy-ounce lines kept as rounded milligrams)
/// is converted by the migration: its lines and their declared shares read back exactly.
async fn an_older_database_converts_exactly(app: TestApp) {
    let buyer = app.purchaser("Bullion buyer").await;
    let supplier = fixtures::supplier(&app, "Refiner").await;
    let asm = fixtures::mine(&app, "ASM", "asm", "PE").await;
    let line = PurchaseLine::new("OLD-1", &supplier)
        .quantity(1000.001, "troy_oz")
        .on("2026-03-14")
        .declared([
            crate::builders::Origin::facility(&asm, 0.333333333),
            crate::builders::Origin::class("recycled", 0.666666667),
        ]);
    app.create_purchase(&buyer, &line).await;
    let before = mix(&app, &buyer, "troy_oz").await;
    assert_eq!(before["overall"]["total"], "1000.001");
    // A lot of 1000.001 oz extracted whole (its event line weighs the lot's whole quantity),
    // and half an ounce of another lot handed over (a line with a quantity of its own).
    let mine = fixtures::mine(&app, "Mina", "lsm", "PE").await;
    let dore = Lot::new("DORE-OLD").quantity(1000.001, "troy_oz");
    let dore = app.create_lot(&buyer, &dore).await.id();
    app.record_event(
        &buyer,
        &Event::extraction("2026-01-10", &mine).output(&dore),
    )
    .await;
    let trace_before = trace_in(&app, &buyer, &format!("/v1/lots/{dore}/provenance"), "g").await;
    assert_eq!(trace_before["quantity"], "31103.5079034768");

    // Back to the schema before exact quantities (every quantity in milligrams, the rollup
    // too), then forward again.
    let url = app.config.database_url.clone();
    let timeout = app.config.pool.statement_timeout;
    tokio::task::spawn_blocking(move || {
        let manager = oretrace::db::ConnectionManager::new(url, timeout);
        // Every migration since, then exact quantities themselves.
        let mut reverted = Vec::new();
        while reverted.last().map(String::as_str) != Some("20261206000007") {
            reverted.push(oretrace::db::revert_last_migration(&manager).unwrap());
            assert!(reverted.len() < 20, "{reverted:?}");
        }
        assert!(
            reverted.contains(&"20261206000008".to_owned()),
            "{reverted:?}"
        );
        oretrace::db::run_migrations(&manager).unwrap();
    })
    .await
    .unwrap();

    let after = mix(&app, &buyer, "troy_oz").await;
    assert_eq!(after["overall"], before["overall"], "converted exactly");
    let trace_after = trace_in(&app, &buyer, &format!("/v1/lots/{dore}/provenance"), "g").await;
    assert_eq!(trace_after["quantity"], "31103.5079034768");
    assert_eq!(trace_after["origins"][0]["quantity"], "31103.5079034768");
    assert_eq!(trace_after["summary"], trace_before["summary"]);
    let (_, lot) = send(app.get(&format!("/v1/lots/{dore}?unit=troy_oz"), &buyer)).await;
    assert_eq!(lot["quantity"]["converted"]["value"], "1000.001");
    let asm_ounces = after["overall"]["classes"][0]["quantity"].as_str().unwrap();
    let recycled_ounces = after["overall"]["classes"][2]["quantity"].as_str().unwrap();
    // 1,000,001,000 µozt split 0.333333333 / 0.666666667 by the largest remainder.
    assert_eq!((asm_ounces, recycled_ounces), ("333.333666", "666.667334"));
}

/// Reads answer in the unit asked for: a purchase, its declared shares and a lot, exactly; the
/// policy's reporting unit is the mix's default; another organisation still sees nothing.
async fn reads_answer_in_the_unit_asked(app: TestApp) {
    let buyer = app.purchaser("Bullion buyer").await;
    let other = app.purchaser("Someone else").await;
    let supplier = fixtures::supplier(&app, "Refiner").await;
    let line = PurchaseLine::new("BAR-9", &supplier)
        .quantity(1000.001, "troy_oz")
        .on("2026-03-14")
        .declared([
            crate::builders::Origin::class("recycled", 0.5),
            crate::builders::Origin::class("lsm", 0.5),
        ]);
    let id = app.create_purchase(&buyer, &line).await.id();
    let (status, read) = send(app.get(&format!("/v1/purchases/{id}?unit=g"), &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    // 1000.001 × 31.1034768 g
    let converted = &read["quantity"]["converted"];
    assert_eq!(
        (&converted["unit"], &converted["value"], &converted["exact"]),
        (
            &Value::from("g"),
            &Value::from("31103.5079034768"),
            &Value::from(true)
        )
    );
    let shares: Vec<&str> = read["declared_origin"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["quantity_converted"]["value"].as_str().unwrap())
        .collect();
    // 1,000,001,000 µozt halved exactly: 500,000,500 each, 15551.7539517384 g.
    assert_eq!(shares, ["15551.7539517384", "15551.7539517384"]);
    let (_, plain) = send(app.get(&format!("/v1/purchases/{id}"), &buyer)).await;
    assert!(plain["quantity"].get("converted").is_none(), "{plain}");
    let listed = app.items(&buyer, "/v1/purchases?unit=troy_oz").await;
    assert_eq!(listed[0]["quantity"]["converted"]["value"], "1000.001");
    let (status, _) = send(app.get(&format!("/v1/purchases/{id}?unit=stone"), &buyer)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(app.get(&format!("/v1/purchases/{id}?unit=g"), &other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A lot in troy ounces, read in grams; a metric lot in troy ounces (not whole micro ounces).
    let lot = crate::builders::Lot::new("DORE-1").quantity(2.5, "troy_oz");
    let lot = app.create_lot(&buyer, &lot).await;
    let lot_id = lot["id"].as_str().unwrap();
    let (_, read) = send(app.get(&format!("/v1/lots/{lot_id}?unit=g"), &buyer)).await;
    assert_eq!(read["quantity"]["converted"]["value"], "77.758692");
    let metric = app
        .create_lot(&buyer, &crate::builders::Lot::new("BAR-KG").kg(1))
        .await;
    let (_, read) = send(app.get(
        &format!("/v1/lots/{}?unit=troy_oz", metric["id"].as_str().unwrap()),
        &buyer,
    ))
    .await;
    assert_eq!(read["quantity"]["converted"]["value"], "32.150746568628");
    assert_eq!(read["quantity"]["converted"]["exact"], false);

    // Another organisation's token sees none of it in any unit; a client without the read
    // scope is refused whatever the unit.
    let (status, _) = send(app.get(&format!("/v1/lots/{lot_id}?unit=g"), &other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.items(&other, "/v1/purchases?unit=g").await.is_empty());
    let writer_only = app
        .client_of(&buyer.org_id, "writer", &["purchases:write"])
        .await;
    let (status, _) = send(app.get(&format!("/v1/purchases/{id}?unit=g"), &writer_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(app.get("/v1/sourcing-mix?unit=troy_oz", &writer_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The policy's reporting unit is the mix's default unit.
    let mut policy = app.policy(&buyer).await["policy"].clone();
    assert_eq!(policy["reporting_unit"], "kg");
    policy["reporting_unit"] = Value::from("troy_oz");
    app.put_policy(&buyer, &policy).await;
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(
        (&mix["unit"], &mix["overall"]["total"]),
        (&Value::from("troy_oz"), &Value::from("1000.001"))
    );
    policy["reporting_unit"] = Value::from("grain");
    let (status, _) = send(app.put("/v1/policy", &buyer, &policy)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

both_backends!(
    ounces_sum_exactly,
    precision_is_stated,
    an_older_database_converts_exactly,
    reads_answer_in_the_unit_asked,
    ounces_balance_and_trace_exactly,
);
