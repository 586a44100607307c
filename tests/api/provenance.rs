//! Tracing: the chain worked out by hand (two mines, a smelter mixing them, a refiner, a
//! trader, a purchase), tenant isolation of traces, the graph loader against the plain
//! recursive SQL, the red-flag list, the sourcing mix moving from declared to traced, and bad
//! parameters.

use std::collections::{BTreeMap, BTreeSet};

use oretrace::domain::mass::Mass;
use oretrace::domain::provenance::Origin as LotOrigin;
use oretrace::store::lot_graph::{self, AncestryRow, LoadedGraph, MAX_DEPTH};
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

/// The graph loader (on PostgreSQL: array parameters and one index probe per id) reads exactly
/// what the plain recursive SQL of the benchmark reads: the same lots, each with the same origin
/// event and sides, the same consumed totals and the same transfers; and neither reaches
/// another organisation's lots, even one with the same references through the same refiner.
async fn the_graph_loader_reads_what_the_plain_recursive_sql_reads(app: TestApp) {
    let org = app.purchaser("Jeweller").await;
    let other = app.purchaser("Rival").await;
    let c = chain(&app, &org).await;
    let rival_ore = lot(&app, &other, "ORE-A", 500.0).await;
    let rival_bar = lot(&app, &other, "BAR-1", 400.0).await;
    app.record_event(
        &other,
        &Event::transformation("2026-04-01", &c.refiner)
            .input(&rival_ore, 500.0)
            .output(&rival_bar),
    )
    .await;
    let organisation = org.org_id.clone();
    let roots = [c.bar.clone(), rival_bar.clone()];
    type Read = (LoadedGraph, Vec<AncestryRow>);
    let (own, rival): (Read, Read) = app
        .with_conn(move |conn| {
            let mut read = |root: &String| {
                let loaded =
                    lot_graph::load(conn, &organisation, std::slice::from_ref(root), MAX_DEPTH)
                        .unwrap();
                let rows = lot_graph::ancestry_rows_by_recursive_sql(
                    conn,
                    &organisation,
                    root,
                    MAX_DEPTH as i32,
                )
                .unwrap();
                (loaded, rows)
            };
            (read(&roots[0]), read(&roots[1]))
        })
        .await;

    let (loaded, rows) = own;
    let reached: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.part == 0)
        .map(|r| r.lot_id.as_str())
        .collect();
    let chain_lots: BTreeSet<&str> = [&c.bar, &c.dore, &c.ore_a, &c.ore_b]
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(reached, chain_lots);
    assert_eq!(loaded.graph.len(), reached.len());
    for id in &reached {
        let node = loaded
            .graph
            .lot(id)
            .unwrap_or_else(|| panic!("{id} not loaded"));
        let own_rows: Vec<&AncestryRow> = rows
            .iter()
            .filter(|r| r.part == 0 && r.lot_id == *id)
            .collect();
        let mut sides: Vec<(String, String, i64)> = own_rows
            .iter()
            .map(|r| {
                (
                    r.direction.clone().unwrap(),
                    r.side_lot_id.clone().unwrap(),
                    r.side_quantity_mg.unwrap(),
                )
            })
            .collect();
        sides.sort();
        let event = own_rows[0].event_id.clone();
        let facility = own_rows[0].facility_id.clone();
        let occurred_on = own_rows[0].occurred_on;
        match node
            .origin
            .as_ref()
            .expect("every lot of the chain has an origin")
        {
            LotOrigin::Extraction(e) => {
                assert_eq!(Some(&e.event_id), event.as_ref());
                assert_eq!(Some(&e.facility_id), facility.as_ref());
                assert_eq!(Some(e.occurred_on), occurred_on);
                assert_eq!(
                    sides,
                    [("output".to_owned(), id.to_string(), e.quantity_mg)]
                );
            }
            LotOrigin::Transformation(t) => {
                assert_eq!(Some(&t.event_id), event.as_ref());
                assert_eq!(Some(&t.facility_id), facility.as_ref());
                assert_eq!(Some(t.occurred_on), occurred_on);
                let mut loaded_sides: Vec<(String, String, i64)> = t
                    .inputs
                    .iter()
                    .map(|q| ("input".to_owned(), q.lot_id.clone(), q.quantity_mg))
                    .chain(
                        t.outputs
                            .iter()
                            .map(|q| ("output".to_owned(), q.lot_id.clone(), q.quantity_mg)),
                    )
                    .collect();
                loaded_sides.sort();
                assert_eq!(loaded_sides, sides, "{id}");
            }
        }
    }
    // Consumed totals and transfers: the uses of the lots reached.
    let mut consumed: BTreeMap<String, Mass> = BTreeMap::new();
    let mut transfers = Vec::new();
    for r in rows.iter().filter(|r| r.part == 1) {
        let mass = Mass::stored(r.side_quantity_mg.unwrap(), r.side_quantity_uozt.unwrap());
        match r.direction.as_deref() {
            Some("input") => *consumed.entry(r.lot_id.clone()).or_default() += mass,
            Some("transferred") => transfers.push((
                r.event_id.clone().unwrap(),
                r.lot_id.clone(),
                r.from_party_id.clone().unwrap(),
                r.to_party_id.clone().unwrap(),
                r.side_quantity_mg.unwrap(),
                r.occurred_on.unwrap(),
            )),
            other => panic!("a use is an input or a transfer, not {other:?}"),
        }
    }
    assert_eq!(consumed, loaded.consumed.iter().cloned().collect());
    assert_eq!(consumed.len(), 3, "the doré and both ores are consumed");
    let mut loaded_transfers: Vec<_> = reached
        .iter()
        .flat_map(|id| loaded.graph.transfers_of(id))
        .map(|t| {
            (
                t.event_id.clone(),
                t.lot_id.clone(),
                t.from_party.clone(),
                t.to_party.clone(),
                t.quantity_mg,
                t.occurred_on,
            )
        })
        .collect();
    loaded_transfers.sort();
    transfers.sort();
    assert_eq!(loaded_transfers, transfers);
    assert_eq!(
        transfers.iter().map(|t| &t.1).collect::<Vec<_>>(),
        [&c.bar],
        "the bar's sale to the trader"
    );

    // Two lots of one tier made by one event both carry that event as their origin, whole.
    let twin_a = lot(&app, &org, "TWIN-A", 0.5).await;
    let twin_b = lot(&app, &org, "TWIN-B", 0.5).await;
    app.record_event(
        &org,
        &Event::transformation("2026-05-01", &c.refiner)
            .input(&c.ore_a, 1.0)
            .output(&twin_a)
            .output(&twin_b),
    )
    .await;
    let organisation = org.org_id.clone();
    let twins = vec![twin_a.clone(), twin_b.clone()];
    let loaded = app
        .with_conn(move |conn| lot_graph::load(conn, &organisation, &twins, MAX_DEPTH).unwrap())
        .await;
    let mut outputs = vec![twin_a.clone(), twin_b.clone()];
    outputs.sort();
    for twin in [&twin_a, &twin_b] {
        match loaded.graph.lot(twin).and_then(|n| n.origin.as_ref()) {
            Some(LotOrigin::Transformation(t)) => {
                let inputs: Vec<&str> = t.inputs.iter().map(|q| q.lot_id.as_str()).collect();
                let made: Vec<String> = t.outputs.iter().map(|q| q.lot_id.clone()).collect();
                assert_eq!(inputs, [c.ore_a.as_str()], "{twin}");
                assert_eq!(made, outputs, "{twin}");
            }
            other => panic!("{twin}: {other:?}"),
        }
    }

    // Another organisation's lot is neither loaded nor read, whoever's references it shares.
    let (loaded, rows) = rival;
    assert!(loaded.graph.is_empty());
    assert!(loaded.consumed.is_empty());
    assert!(rows.is_empty(), "{} rows", rows.len());
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
    the_graph_loader_reads_what_the_plain_recursive_sql_reads,
    the_mix_moves_from_declared_to_traced,
    bad_query_parameters_are_400,
);
