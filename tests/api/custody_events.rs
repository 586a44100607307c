//! Custody events: impossible events refused with nothing written, suspicious events accepted
//! with exactly the expected flags, and the filtered, paginated list.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Event, grams};
use crate::fixtures::{self, chain, lot};
use crate::helpers::{Client, TestApp, assert_problem, pointers, send, send_raw};

/// Everything the organisation has recorded, to compare before and after a refusal.
async fn snapshot(app: &TestApp, client: &Client) -> (Vec<Value>, Vec<Value>) {
    let (_, events) = send(app.get("/v1/custody-events?limit=500", client)).await;
    let (_, lots) = send(app.get("/v1/lots?limit=500", client)).await;
    let strip = |page: &Value| page["items"].as_array().unwrap().clone();
    (strip(&events), strip(&lots))
}

async fn refused(app: &TestApp, client: &Client, body: Value, expected: &[&str]) -> Value {
    let before = snapshot(app, client).await;
    let problem = assert_problem(
        send_raw(app.post("/v1/custody-events", client, &body)).await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), expected, "{body} -> {problem}");
    assert_eq!(
        snapshot(app, client).await,
        before,
        "nothing written: {body}"
    );
    problem
}

fn flag_kinds(written: &Value) -> Vec<String> {
    written["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn impossible_events_are_refused_and_nothing_is_written(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let other = app.purchaser("Rival").await;
    let c = chain(&app, &org).await;
    let fresh = lot(&app, &org, "FRESH", 100.0).await;
    let spare = lot(&app, &org, "SPARE", 100.0).await;
    let foreign = lot(&app, &other, "FOREIGN", 100.0).await;
    let unknown = uuid::Uuid::now_v7().to_string();

    // Unknown and foreign lots.
    refused(
        &app,
        &org,
        json!({"type": "extraction", "occurred_on": "2026-01-10", "facility_id": c.asm_mine,
               "outputs": [{"lot_id": unknown}]}),
        &["/outputs/0/lot_id"],
    )
    .await;
    refused(
        &app,
        &org,
        json!({"type": "transfer", "occurred_on": "2026-04-01", "from_party_id": c.trader,
               "to_party_id": c.refiner_company, "lots": [{"lot_id": foreign}]}),
        &["/lots/0/lot_id"],
    )
    .await;
    // Non-positive quantities.
    for value in [0.0, -5.0] {
        refused(
            &app,
            &org,
            json!({"type": "transformation", "occurred_on": "2026-04-01",
                   "facility_id": c.refiner, "chain_of_custody": "mass_balance",
                   "inputs": [grams(&c.bar, value)], "outputs": [{"lot_id": fresh}]}),
            &["/inputs/0/quantity/value"],
        )
        .await;
    }
    // Consumed before it exists: the bar was refined on 2026-03-01.
    let problem = refused(
        &app,
        &org,
        json!({"type": "transformation", "occurred_on": "2026-02-15", "facility_id": c.refiner,
               "chain_of_custody": "mass_balance",
               "inputs": [grams(&c.bar, 100.0)], "outputs": [{"lot_id": fresh}]}),
        &["/inputs/0/lot_id"],
    )
    .await;
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("before it exists")
    );
    // Handed over before it exists.
    refused(
        &app,
        &org,
        json!({"type": "transfer", "occurred_on": "2026-01-01", "from_party_id": c.trader,
               "to_party_id": c.refiner_company, "lots": [{"lot_id": c.ore_a}]}),
        &["/lots/0/lot_id"],
    )
    .await;
    // A lot produced twice.
    refused(
        &app,
        &org,
        json!({"type": "extraction", "occurred_on": "2026-01-11", "facility_id": c.asm_mine,
               "outputs": [{"lot_id": c.ore_a}]}),
        &["/outputs/0/lot_id"],
    )
    .await;
    // A cycle: FRESH is consumed into SPARE, then SPARE would be consumed into FRESH.
    app.record_event(
        &org,
        &Event::transformation("2026-05-01", &c.refiner)
            .input(&fresh, 100.0)
            .output(&spare),
    )
    .await;
    let problem = refused(
        &app,
        &org,
        json!({"type": "transformation", "occurred_on": "2026-05-01", "facility_id": c.refiner,
               "chain_of_custody": "mass_balance",
               "inputs": [grams(&spare, 100.0)], "outputs": [{"lot_id": fresh}]}),
        &["/outputs"],
    )
    .await;
    assert!(
        problem["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("cycle")
    );
    refused(
        &app,
        &org,
        json!({"type": "transformation", "occurred_on": "2026-05-01", "facility_id": c.refiner,
               "chain_of_custody": "mass_balance",
               "inputs": [grams(&spare, 100.0)], "outputs": [{"lot_id": spare}]}),
        &["/outputs/0/lot_id"],
    )
    .await;
    // An extraction elsewhere than at a mine; a transformation at a mine.
    let ore = lot(&app, &org, "ORE-C", 100.0).await;
    refused(
        &app,
        &org,
        json!({"type": "extraction", "occurred_on": "2026-01-10", "facility_id": c.smelter,
               "outputs": [{"lot_id": ore}]}),
        &["/facility_id"],
    )
    .await;
    refused(
        &app,
        &org,
        json!({"type": "transformation", "occurred_on": "2026-05-01", "facility_id": c.asm_mine,
               "chain_of_custody": "mass_balance",
               "inputs": [grams(&c.bar, 1.0)], "outputs": [{"lot_id": ore}]}),
        &["/facility_id"],
    )
    .await;
    // Missing members for the type, members of another type.
    refused(
        &app,
        &org,
        json!({"type": "transfer", "occurred_on": "2026-04-01", "lots": [], "inputs": [grams(&c.bar, 1.0)]}),
        &["/from_party_id", "/to_party_id", "/inputs", "/lots"],
    )
    .await;
    // A batch is all or none: the first event is fine, the second is not.
    refused(
        &app,
        &org,
        json!({"events": [
            {"type": "extraction", "occurred_on": "2026-01-10", "facility_id": c.asm_mine,
             "outputs": [{"lot_id": ore}]},
            {"type": "transformation", "occurred_on": "2026-01-05", "facility_id": c.smelter,
             "chain_of_custody": "mass_balance",
             "inputs": [grams(&ore, 100.0)], "outputs": [{"lot_id": unknown}]},
        ]}),
        &["/events/1/outputs/0/lot_id"],
    )
    .await;
    refused(
        &app,
        &org,
        json!({"events": [
            {"type": "extraction", "occurred_on": "2026-01-10", "facility_id": c.asm_mine,
             "outputs": [{"lot_id": ore}]},
            {"type": "transformation", "occurred_on": "2026-01-05", "facility_id": c.smelter,
             "chain_of_custody": "mass_balance",
             "inputs": [grams(&ore, 100.0)], "outputs": [{"lot_id": fresh}]},
        ]}),
        &["/events/1/inputs/0/lot_id"],
    )
    .await;
    // Malformed and unknown values are problems too.
    refused(
        &app,
        &org,
        json!({"type": "teleport", "occurred_on": "2026-01-10"}),
        &["/type"],
    )
    .await;
    refused(&app, &org, json!({"events": []}), &["/events"]).await;
    let (status, _) = send(
        app.request(reqwest::Method::POST, "/v1/custody-events", &org)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn suspicious_events_raise_exactly_the_expected_flags(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    let a = lot(&app, &org, "SCRAP-IN", 1000.0).await;
    let out = lot(&app, &org, "HEAVY-OUT", 1100.0).await;
    let normal = lot(&app, &org, "NORMAL-OUT", 1000.0).await;
    let x = lot(&app, &org, "X", 1000.0).await;
    let y = lot(&app, &org, "Y", 700.0).await;
    let z = lot(&app, &org, "Z", 600.0).await;
    app.record_event(
        &org,
        &Event::extraction("2026-01-10", &c.asm_mine).output(&a),
    )
    .await;
    // 1 kg in, 1.1 kg out: 10% heavier, beyond the 2% tolerance.
    let heavy = app
        .record_event(
            &org,
            &Event::transformation("2026-02-01", &c.smelter)
                .input(&a, 1000.0)
                .output(&out),
        )
        .await;
    assert_eq!(flag_kinds(&heavy), ["mass_balance_exceeded"], "{heavy}");
    assert_eq!(heavy["flags"][0]["severity"], "medium");
    assert_eq!(
        heavy["flags"][0]["evidence"],
        json!([{"kind": "event", "id": heavy["event"]["id"]}])
    );
    // The trace of the heavy lot raises it too.
    let (_, trace) = send(app.get(&format!("/v1/lots/{out}/provenance"), &org)).await;
    let kinds: Vec<&str> = trace["red_flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"mass_balance_exceeded"), "{trace}");

    // Within tolerance: no flag.
    app.record_event(
        &org,
        &Event::extraction("2026-01-10", &c.asm_mine).output(&x),
    )
    .await;
    let first = app
        .record_event(
            &org,
            &Event::transformation("2026-02-01", &c.smelter)
                .input(&x, 700.0)
                .output(&y),
        )
        .await;
    assert_eq!(first["flags"], json!([]));
    // 700 g then 600 g of a 1 kg lot: consumed beyond its quantity.
    let second = app
        .record_event(
            &org,
            &Event::transformation("2026-02-02", &c.smelter)
                .input(&x, 600.0)
                .output(&z),
        )
        .await;
    assert_eq!(flag_kinds(&second), ["mass_balance_exceeded"], "{second}");
    assert_eq!(
        second["flags"][0]["evidence"][0],
        json!({"kind": "lot", "id": x})
    );
    // One party handing the same whole lot to two buyers.
    let buyer = fixtures::supplier(&app, "Second Buyer").await;
    let once = app
        .record_event(
            &org,
            &Event::transfer("2026-03-01", &c.trader, &c.refiner_company).lot(&normal),
        )
        .await;
    assert_eq!(once["flags"], json!([]));
    let twice = app
        .record_event(
            &org,
            &Event::transfer("2026-03-02", &c.trader, &buyer).lot(&normal),
        )
        .await;
    assert_eq!(flag_kinds(&twice), ["mass_balance_exceeded"], "{twice}");
    assert_eq!(
        twice["flags"][0]["evidence"][1],
        json!({"kind": "party", "id": c.trader})
    );
    // Passing the lot down the chain is not an overdraw.
    let onward = app
        .record_event(
            &org,
            &Event::transfer("2026-03-05", &buyer, &c.trader).lot(&y),
        )
        .await;
    assert_eq!(onward["flags"], json!([]));
}

/// `ORETRACE_YIELD_TOLERANCE` at 20%: 10% heavier outputs pass unflagged.
async fn a_larger_yield_tolerance_lets_heavier_outputs_pass(backend: crate::helpers::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |config| {
        config.yield_tolerance =
            oretrace::domain::provenance::YieldTolerance::from_decimal("0.2").unwrap();
    })
    .await
    else {
        return;
    };
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    let a = lot(&app, &org, "IN", 1000.0).await;
    let out = lot(&app, &org, "OUT", 1100.0).await;
    app.record_event(
        &org,
        &Event::extraction("2026-01-10", &c.asm_mine).output(&a),
    )
    .await;
    // 10% heavier passes a 20% tolerance.
    let written = app
        .record_event(
            &org,
            &Event::transformation("2026-02-01", &c.smelter)
                .input(&a, 1000.0)
                .output(&out),
        )
        .await;
    assert_eq!(written["flags"], json!([]));
}

async fn events_are_listed_with_filters_and_cursors(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    let (status, all) = send(app.get("/v1/custody-events", &org)).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    let count = |page: &Value| page["items"].as_array().unwrap().len();
    let (_, by_type) = send(app.get("/v1/custody-events?type=extraction", &org)).await;
    assert_eq!(count(&by_type), 2);
    let (_, by_lot) = send(app.get(&format!("/v1/custody-events?lot_id={}", c.bar), &org)).await;
    assert_eq!(count(&by_lot), 2, "refined into, then handed over");
    let (_, by_facility) = send(app.get(
        &format!("/v1/custody-events?facility_id={}", c.smelter),
        &org,
    ))
    .await;
    assert_eq!(count(&by_facility), 1);
    assert_eq!(
        by_facility["items"][0]["inputs"].as_array().unwrap().len(),
        2
    );
    assert_eq!(by_facility["items"][0]["chain_of_custody"], "mass_balance");
    let (_, by_party) =
        send(app.get(&format!("/v1/custody-events?party_id={}", c.trader), &org)).await;
    assert_eq!(count(&by_party), 1);
    assert_eq!(
        by_party["items"][0]["documents"],
        json!([{"type": "invoice", "reference": "INV-77"}])
    );
    let (_, by_date) =
        send(app.get("/v1/custody-events?from=2026-02-01&to=2026-03-01", &org)).await;
    assert_eq!(count(&by_date), 2);
    let (_, page) = send(app.get("/v1/custody-events?limit=3", &org)).await;
    assert_eq!(count(&page), 3);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) =
        send(app.get(&format!("/v1/custody-events?limit=3&cursor={cursor}"), &org)).await;
    assert_eq!(count(&rest), 2);
    // The lots now say how they came to exist and who holds them.
    let (_, bar) = send(app.get(&format!("/v1/lots/{}", c.bar), &org)).await;
    assert_eq!(bar["origin_event_type"], "transformation");
    assert_eq!(bar["holder_party_id"], c.trader);
    // Every event is in the organisation's audit trail.
    let (_, audit) = send(app.get("/v1/audit-events?entity_type=custody_event", &org)).await;
    assert_eq!(count(&audit), 5, "{audit}");
}

/// An event batch is a batch body (`ORETRACE_BATCH_BODY_LIMIT`), not an ordinary JSON body:
/// a batch beyond 256 KiB reaches validation (here: too many events) instead of a 413.
async fn event_batches_take_the_batch_body_limit(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let padding = "x".repeat(200);
    let events: Vec<Value> = (0..1_001)
        .map(|i| {
            json!({"type": "extraction", "occurred_on": "2026-01-10",
                   "facility_id": uuid::Uuid::now_v7().to_string(),
                   "external_ref": format!("EV-{i}-{padding}"),
                   "outputs": [{"lot_id": uuid::Uuid::now_v7().to_string()}]})
        })
        .collect();
    let body = json!({ "events": events });
    assert!(body.to_string().len() > 256 * 1024);
    let problem = assert_problem(
        send_raw(app.post("/v1/custody-events", &org, &body)).await,
        422,
    )
    .await;
    assert_eq!(pointers(&problem), ["/events"], "{problem}");
}

both_backends!(
    event_batches_take_the_batch_body_limit,
    impossible_events_are_refused_and_nothing_is_written,
    suspicious_events_raise_exactly_the_expected_flags,
    events_are_listed_with_filters_and_cursors,
);

mod tolerance {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_larger_yield_tolerance_lets_heavier_outputs_pass(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_larger_yield_tolerance_lets_heavier_outputs_pass(Backend::Postgres).await;
    }
}
