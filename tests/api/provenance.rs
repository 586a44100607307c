//! Tracing: the chain worked out by hand (two mines, a smelter mixing them, a refiner, a
//! trader, a purchase), tenant isolation of traces, the red-flag list, the sourcing mix moving
//! from declared to traced, and bad parameters.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Event, Origin, PurchaseLine};
use crate::fixtures::{self, ChainCatalog, chain, chain_catalog, lot};
use crate::helpers::{Expect, HasId, TestApp, send};

fn origin<'a>(trace: &'a Value, facility: &str) -> &'a Value {
    trace["origins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["facility_id"] == facility)
        .unwrap_or_else(|| panic!("no origin {facility} in {trace}"))
}

fn flag_kinds(flags: &Value) -> Vec<String> {
    flags
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_hand_worked_chain_gives_exact_shares_and_flags(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    let line = PurchaseLine::new("PO-1", &c.trader)
        .on("2026-03-15")
        .lot(&c.bar);
    let p = app.create_purchase(&org, &line).await.id();

    let trace = app.trace_purchase(&org, &p).await;
    assert_eq!(trace["subject"], json!({"kind": "purchase", "id": p}));
    assert_eq!(trace["quantity_mg"], 1_000_000);
    assert_eq!(trace["depth"], 2);
    // 6 kg of 10 kg consumed by the smelter came from the ASM mine: 0.6 of every gram after.
    let asm = origin(&trace, &c.asm_mine);
    assert_eq!(asm["quantity_mg"], 600_000);
    assert_eq!(asm["quantity_kg"], "0.6");
    assert_eq!(
        asm["share"],
        json!({"value": "0.600000", "numerator": "3", "denominator": "5"})
    );
    assert_eq!(asm["mining_scale"], "asm");
    assert_eq!(asm["country"], "PE");
    assert_eq!(asm["cahra"], false);
    assert_eq!(asm["lot_id"], c.ore_a);
    assert_eq!(asm["extracted_on"], "2026-01-10");
    assert_eq!(asm["certification"]["certified"], true);
    assert_eq!(asm["certification"]["scheme"], "fairmined");
    assert_eq!(asm["certification"]["date"], "2026-01-10");
    let lsm = origin(&trace, &c.lsm_mine);
    assert_eq!(lsm["quantity_mg"], 400_000);
    assert_eq!(lsm["share"]["value"], "0.400000");
    assert_eq!(lsm["mining_scale"], "lsm");
    assert_eq!(lsm["country"], "CL");
    assert_eq!(lsm["certification"]["certified"], false);
    assert_eq!(trace["summary"]["mines"]["share"]["value"], "1.000000");
    assert_eq!(trace["summary"]["recycled"]["quantity_mg"], 0);
    assert_eq!(trace["summary"]["untraced"]["quantity_mg"], 0);
    // Exactly one flag: the LSM mine has artisanal miners and no coexistence agreement.
    assert_eq!(
        flag_kinds(&trace["red_flags"]),
        ["asm_presence_without_coexistence_agreement"]
    );
    assert_eq!(trace["red_flags"][0]["severity"], "medium");
    assert_eq!(
        trace["red_flags"][0]["evidence"][0],
        json!({"kind": "facility", "id": c.lsm_mine})
    );
    // The graph shows the mines, the plants, the lots and the parties of the transfer.
    let nodes: Vec<String> = trace["graph"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    for id in [
        &c.asm_mine,
        &c.lsm_mine,
        &c.smelter,
        &c.refiner,
        &c.ore_a,
        &c.ore_b,
        &c.dore,
        &c.bar,
        &c.refiner_company,
        &c.trader,
    ] {
        assert!(nodes.contains(id), "{id} missing from {nodes:?}");
    }

    // The lot itself: its whole 1.9 kg.
    let lot_trace = app.trace_lot(&org, &c.bar).await;
    assert_eq!(origin(&lot_trace, &c.asm_mine)["quantity_mg"], 1_140_000);
    assert_eq!(origin(&lot_trace, &c.lsm_mine)["quantity_mg"], 760_000);

    // The supplier: two purchases, one traced (1 kg) and one without a lot (1 kg, untraced).
    let untraced = PurchaseLine::new("PO-2", &c.trader).on("2026-03-20");
    app.create_purchase(&org, &untraced).await;
    let (status, party) = send(app.get(
        &format!(
            "/v1/parties/{}/provenance?mineral=gold&from=2026-01-01&to=2026-12-31",
            c.trader
        ),
        &org,
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{party}");
    assert_eq!(party["quantity_mg"], 2_000_000);
    assert_eq!(origin(&party, &c.asm_mine)["quantity_mg"], 600_000);
    assert_eq!(party["summary"]["untraced"]["share"]["value"], "0.500000");
    assert_eq!(
        flag_kinds(&party["red_flags"]),
        [
            "untraced_volume",
            "asm_presence_without_coexistence_agreement"
        ]
    );
    let (status, _) = send(app.get(
        &format!("/v1/parties/{}/provenance?from=2027-01-01", c.trader),
        &org,
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The red-flag list: the traced purchase's one flag, filterable.
    let (status, list) = send(app.get("/v1/red-flags", &org)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["items"][0]["purchase_id"], p);
    assert_eq!(
        list["items"][0]["kind"],
        "asm_presence_without_coexistence_agreement"
    );
    let (_, none) = send(app.get("/v1/red-flags?kind=cahra_origin", &org)).await;
    assert_eq!(none["items"], json!([]));
    let (_, medium) = send(app.get(
        &format!(
            "/v1/red-flags?severity=medium&supplier_party_id={}&mineral=gold&from=2026-03-01&to=2026-03-31",
            c.trader
        ),
        &org,
    ))
    .await;
    assert_eq!(medium["items"].as_array().unwrap().len(), 1, "{medium}");
}

async fn red_flags_page_with_cursors(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let c = chain(&app, &org).await;
    for i in 0..3 {
        let line = PurchaseLine::new(&format!("PO-{i}"), &c.trader)
            .g(100)
            .on("2026-03-15")
            .lot(&c.bar);
        app.create_purchase(&org, &line).await;
    }
    let (status, page) = send(app.get("/v1/red-flags?limit=2", &org)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, rest) = send(app.get(&format!("/v1/red-flags?limit=2&cursor={cursor}"), &org)).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1, "{rest}");
    assert_eq!(rest["next_cursor"], Value::Null);
    let all: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|f| &f["purchase_id"])
        .collect();
    assert!(all[0] != all[1] && all[1] != all[2], "{all:?}");
}

async fn another_organisations_lots_are_404_and_never_reached(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let other = app.purchaser("Rival").await;
    let c = chain(&app, &org).await;
    let line = PurchaseLine::new("PO-1", &c.trader)
        .on("2026-03-15")
        .lot(&c.bar);
    let p = app.create_purchase(&org, &line).await.id();
    for path in [
        format!("/v1/lots/{}", c.bar),
        format!("/v1/lots/{}/provenance", c.bar),
        format!("/v1/purchases/{p}/provenance"),
        format!("/v1/parties/{}/provenance", c.trader),
    ] {
        app.get(&path, &other).expect_problem(404).await;
    }
    for list in [
        "/v1/red-flags".to_owned(),
        "/v1/lots".to_owned(),
        format!("/v1/custody-events?lot_id={}", c.bar),
    ] {
        let items = app.items(&other, &list).await;
        assert!(items.is_empty(), "{list}: {items:?}");
    }
    // The other organisation cannot name these lots in its events or purchases...
    let own = lot(&app, &other, "RIVAL-1", 500.0).await;
    let into_own = Event::transformation("2026-04-01", &c.refiner)
        .input(&c.bar, 100.0)
        .output(&own);
    let problem = app
        .post("/v1/custody-events", &other, &into_own)
        .expect_problem(422)
        .await;
    assert_eq!(
        crate::helpers::pointers(&problem),
        ["/inputs/0/lot_id"],
        "{problem}"
    );
    // ...and the owner's traces never reach the other organisation's lots.
    let trace = app.trace_lot(&org, &c.bar).await;
    assert!(!trace.to_string().contains(&own), "{trace}");
    let (_, own_lot) = send(app.get(&format!("/v1/lots/{own}"), &other)).await;
    assert_eq!(own_lot["origin_event_id"], Value::Null);
}

async fn the_mix_moves_from_declared_to_traced(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let ChainCatalog {
        asm_mine,
        lsm_mine,
        smelter,
        trader,
        ..
    } = chain_catalog(&app).await;
    let ore_a = lot(&app, &org, "ORE-A", 600.0).await;
    let ore_b = lot(&app, &org, "ORE-B", 400.0).await;
    let bar = lot(&app, &org, "BAR-1", 1000.0).await;
    // The supplier declares the whole kilogram as LSM from the LSM mine.
    let declared_lsm = PurchaseLine::new("PO-1", &trader)
        .on("2026-03-15")
        .lot(&bar)
        .declared([Origin::facility(&lsm_mine, 1)]);
    app.create_purchase(&org, &declared_lsm).await;
    let mix_query = "from=2026-01-01&to=2026-12-31";
    let class = |mix: &Value, name: &str| {
        mix["overall"]["classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["origin_class"] == name)
            .cloned()
            .unwrap()
    };
    let before = app.sourcing_mix(&org, mix_query).await;
    assert_eq!(class(&before, "lsm")["quantity_mg"], 1_000_000);
    assert_eq!(class(&before, "lsm")["basis"]["declared_mg"], 1_000_000);
    assert_eq!(class(&before, "asm")["quantity_mg"], 0);

    // Once the lot traces to the mines, the mix follows the trace.
    app.record_events(
        &org,
        [
            Event::extraction("2026-01-10", &asm_mine).output(&ore_a),
            Event::extraction("2026-01-12", &lsm_mine).output(&ore_b),
            Event::transformation("2026-02-01", &smelter)
                .input(&ore_a, 600.0)
                .input(&ore_b, 400.0)
                .output(&bar),
        ],
    )
    .await;
    let after = app.sourcing_mix(&org, mix_query).await;
    let asm = class(&after, "asm");
    assert_eq!(asm["quantity_mg"], 600_000, "{after}");
    assert_eq!(asm["basis"]["traced_mg"], 600_000);
    assert_eq!(
        asm["certified_mg"], 600_000,
        "fairmined on the purchase date"
    );
    let lsm = class(&after, "lsm");
    assert_eq!(lsm["quantity_mg"], 400_000);
    assert_eq!(lsm["basis"]["traced_mg"], 400_000);
    assert_eq!(lsm["basis"]["declared_mg"], 0);
    assert_eq!(after["overall"]["total_mg"], 1_000_000);

    // A lot traced only in part: half of it comes from the ASM mine, half from scrap whose
    // origin nobody recorded. The traced half counts as traced; the rest falls back to the
    // declaration (recycled), scaled to that half.
    let ore_c = lot(&app, &org, "ORE-C", 500.0).await;
    let scrap = lot(&app, &org, "SCRAP-X", 500.0).await;
    let bar2 = lot(&app, &org, "BAR-2", 1000.0).await;
    app.record_events(
        &org,
        [
            Event::extraction("2026-02-10", &asm_mine).output(&ore_c),
            Event::transformation("2026-02-20", &smelter)
                .input(&ore_c, 500.0)
                .input(&scrap, 500.0)
                .output(&bar2),
        ],
    )
    .await;
    let declared_recycled = PurchaseLine::new("PO-2", &trader)
        .on("2026-03-20")
        .lot(&bar2)
        .declared([Origin::class("recycled", 1)]);
    app.create_purchase(&org, &declared_recycled).await;
    let partly = app.sourcing_mix(&org, mix_query).await;
    assert_eq!(partly["overall"]["total_mg"], 2_000_000, "{partly}");
    let asm = class(&partly, "asm");
    assert_eq!(asm["quantity_mg"], 1_100_000, "{partly}");
    assert_eq!(asm["basis"]["traced_mg"], 1_100_000);
    let recycled = class(&partly, "recycled");
    assert_eq!(recycled["quantity_mg"], 500_000, "{partly}");
    assert_eq!(recycled["basis"]["declared_mg"], 500_000);
    assert_eq!(class(&partly, "unknown")["quantity_mg"], 0, "{partly}");
}

async fn bad_query_parameters_are_400(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let party = fixtures::supplier(&app, "Trader").await;
    for path in [
        "/v1/red-flags?severity=extreme".to_owned(),
        "/v1/red-flags?kind=dragons".to_owned(),
        "/v1/red-flags?from=2026-02-01&to=2026-01-01".to_owned(),
        "/v1/red-flags?cursor=garbage".to_owned(),
        "/v1/red-flags?limit=0".to_owned(),
        "/v1/red-flags?colour=red".to_owned(),
        "/v1/custody-events?type=teleport".to_owned(),
        "/v1/custody-events?from=yesterday".to_owned(),
        "/v1/custody-events?lot_id=not-a-uuid".to_owned(),
        "/v1/custody-events?limit=501".to_owned(),
        "/v1/lots?form=liquid".to_owned(),
        "/v1/lots?cursor=garbage".to_owned(),
        format!("/v1/parties/{party}/provenance?mineral=kryptonite"),
        format!("/v1/parties/{party}/provenance?from=2026-02-01&to=2026-01-01"),
    ] {
        app.get(&path, &org).expect_problem(400).await;
    }
    // A token without provenance scopes is refused.
    let reader = app
        .organisation("Reader", "purchaser", &["purchases:read"])
        .await;
    app.get("/v1/lots", &reader).expect_problem(403).await;
    app.get("/v1/red-flags", &reader).expect_problem(403).await;
}

both_backends!(
    the_hand_worked_chain_gives_exact_shares_and_flags,
    red_flags_page_with_cursors,
    another_organisations_lots_are_404_and_never_reached,
    the_mix_moves_from_declared_to_traced,
    bad_query_parameters_are_400,
);
