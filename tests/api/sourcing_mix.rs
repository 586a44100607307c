//! The sourcing mix and the policy behind it, on a scenario worked out by hand.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Origin, PurchaseLine};
use crate::fixtures;
use crate::helpers::{Client, HasId, TestApp, assert_problem, pointers, send, send_raw};

/// ASM mine certified (Fairmined) on 2026-03-14 and suspended from 2026-03-21; an LSM mine
/// certified by IRMA only at `transparency` (the default policy wants irma_50); a recycled share;
/// an undeclared purchase.
///
/// | line | date       | kg | origin                      | class    | certified |
/// |------|------------|----|-----------------------------|----------|-----------|
/// | P1   | 2026-03-14 | 40 | ASM mine                    | asm      | yes       |
/// | P2   | 2026-03-28 | 10 | ASM mine (suspended)        | asm      | no        |
/// | P3   | 2026-03-14 | 30 | 50% LSM mine, 50% recycled  | lsm 15, recycled 15 | no |
/// | P4   | 2026-04-02 | 20 | not declared                | unknown  | no        |
///
/// Total 100 kg: asm 0.5 (certified 0.4), lsm 0.15, recycled 0.15, unknown 0.2.
async fn scenario(app: &TestApp) -> Client {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(app, "Andes Trading").await;
    let asm = fixtures::mine(app, "Cooperativa Minera Aurífera", "asm", "PE").await;
    let lsm = fixtures::mine(app, "Obuasi Deep", "lsm", "GH").await;
    let fairmined = Certification::of_facility(&asm, "fairmined")
        .level("fairmined")
        .valid("2025-01-01", "2027-12-31");
    let fairmined = app.create_certification(fairmined).await.id();
    app.patch_certification(
        &fairmined,
        &json!({"status": "suspended", "effective_on": "2026-03-21", "reason": "test"}),
    )
    .await;
    let irma = Certification::of_facility(&lsm, "irma")
        .level("transparency")
        .valid("2025-01-01", "2027-12-31");
    app.create_certification(irma).await;
    let line = |external_ref: &str, on: &str| PurchaseLine::new(external_ref, &supplier).on(on);
    for purchase in [
        line("P1", "2026-03-14")
            .kg(40)
            .declared([Origin::facility(&asm, 1)]),
        line("P2", "2026-03-28")
            .kg(10)
            .declared([Origin::facility(&asm, 1)]),
        line("P3", "2026-03-14")
            .kg(30)
            .declared([Origin::facility(&lsm, 0.5), Origin::class("recycled", 0.5)]),
        line("P4", "2026-04-02").g(20000),
    ] {
        app.create_purchase(&buyer, &purchase).await;
    }
    buyer
}

pub(crate) fn class<'a>(figures: &'a Value, name: &str) -> &'a Value {
    figures["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["origin_class"] == name)
        .unwrap()
}

async fn mix_matches_the_hand_computation(app: TestApp) {
    let buyer = scenario(&app).await;
    let (status, mix) =
        send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(status, StatusCode::OK, "{mix}");
    let overall = &mix["overall"];
    assert_eq!(overall["total_mg"], 100_000_000);
    assert_eq!(overall["certified_mg"], 40_000_000);
    assert_eq!(overall["certified_share"]["value"], "0.400000");
    let expected = [
        ("asm", 50_000_000, "0.500000", 40_000_000, "0.400000"),
        ("lsm", 15_000_000, "0.150000", 0, "0.000000"),
        ("recycled", 15_000_000, "0.150000", 0, "0.000000"),
        ("unknown", 20_000_000, "0.200000", 0, "0.000000"),
    ];
    for (name, qty, share, certified, certified_share) in expected {
        let c = class(overall, name);
        assert_eq!(c["quantity_mg"], qty, "{name}");
        assert_eq!(c["share"]["value"], share, "{name}");
        assert_eq!(c["share"]["numerator_mg"], qty, "{name}");
        assert_eq!(c["share"]["denominator_mg"], 100_000_000, "{name}");
        assert_eq!(c["certified_mg"], certified, "{name}");
        assert_eq!(c["certified_share"]["value"], certified_share, "{name}");
    }
    assert_eq!(class(overall, "asm")["basis"]["declared_mg"], 50_000_000);
    assert_eq!(class(overall, "unknown")["basis"]["unknown_mg"], 20_000_000);
    let targets = mix["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "the default policy's targets");
    assert_eq!(targets[0]["metric"], "certified_asm");
    assert_eq!(targets[0]["actual"]["value"], "0.400000");
    assert_eq!(targets[0]["met"], true);
    assert_eq!(targets[1]["metric"], "unknown");
    assert_eq!(targets[1]["actual"]["value"], "0.200000");
    assert_eq!(targets[1]["met"], false, "at most 10% unknown is not met");
    assert_eq!(mix["policy_source"], "default");

    let (_, by_month) = send(app.get(
        "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month",
        &buyer,
    ))
    .await;
    let groups = by_month["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["key"][0]["value"], "2026-03");
    assert_eq!(groups[0]["figures"]["total_mg"], 80_000_000);
    assert_eq!(
        class(&groups[0]["figures"], "asm")["share"]["value"],
        "0.625000"
    );
    assert_eq!(groups[1]["key"][0]["value"], "2026-04");
    assert_eq!(
        class(&groups[1]["figures"], "unknown")["share"]["value"],
        "1.000000"
    );

    // A narrower period excludes P4; another organisation sees nothing of it.
    let (_, march) = send(app.get("/v1/sourcing-mix?from=2026-03-01&to=2026-03-31", &buyer)).await;
    assert_eq!(march["overall"]["total_mg"], 80_000_000);
    let other = app.purchaser("Other").await;
    let (_, theirs) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &other)).await;
    assert_eq!(theirs["overall"]["total_mg"], 0);
    assert_eq!(
        class(&theirs["overall"], "asm")["share"]["value"],
        "0.000000"
    );
}

async fn mix_as_csv(app: TestApp) {
    let buyer = scenario(&app).await;
    let response = send_raw(
        app.get(
            "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month",
            &buyer,
        )
        .header("accept", "text/csv"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut rows = csv_rows(&text);
    let header = rows.remove(0);
    assert_eq!(
        &header[..4],
        ["section", "month", "origin_class", "quantity_mg"]
    );
    assert!(rows.contains(&vec_of(&[
        "overall",
        "",
        "asm",
        "50000000",
        "0.500000",
        "40000000",
        "0.400000",
        "0",
        "50000000",
        "0",
        "100000000",
        "",
        "",
        "",
        "",
        "",
        "",
        "kg",
        "50",
        "40",
        "0",
        "50",
        "0",
        "100",
    ])));
    assert!(
        rows.iter().any(|r| r[0] == "group"
            && r[1] == "2026-04"
            && r[2] == "unknown"
            && r[4] == "1.000000")
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "target" && r[12] == "unknown" && r[16] == "false")
    );

    let xml = send_raw(
        app.get("/v1/sourcing-mix", &buyer)
            .header("accept", "application/xml"),
    )
    .await;
    assert_problem(xml, 406).await;
}

/// `GET /v1/sourcing-mix.csv` answers the CSV that `Accept: text/csv` gives, whatever `Accept`
/// a client sends by default, and 406 when `Accept` excludes CSV.
async fn mix_as_csv_on_its_own_route(app: TestApp) {
    let buyer = scenario(&app).await;
    let query = "from=2026-01-01&to=2026-12-31&group_by=month,supplier";
    let negotiated = send_raw(
        app.get(&format!("/v1/sourcing-mix?{query}"), &buyer)
            .header("accept", "text/csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    for accept in [
        None,
        Some("*/*"),
        Some("text/csv"),
        Some("application/json;q=0.5, text/*"),
    ] {
        let mut request = app.get(&format!("/v1/sourcing-mix.csv?{query}"), &buyer);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = send_raw(request).await;
        assert_eq!(response.status(), StatusCode::OK, "Accept: {accept:?}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert_eq!(
            response.text().await.unwrap(),
            negotiated,
            "Accept: {accept:?}"
        );
    }
    let json = send_raw(
        app.get("/v1/sourcing-mix.csv", &buyer)
            .header("accept", "application/json"),
    )
    .await;
    assert_problem(json, 406).await;
    let bad = send_raw(app.get("/v1/sourcing-mix.csv?group_by=colour", &buyer)).await;
    assert_problem(bad, 400).await;
}

fn vec_of(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn the_policy_decides_what_counts(app: TestApp) {
    let buyer = scenario(&app).await;
    let (status, current) = send(app.get("/v1/policy", &buyer)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["source"], "default");
    let mut policy = current["policy"].clone();
    // Accept IRMA from its lowest level: the LSM mine now counts as certified.
    policy["accepted"]["lsm"] = json!([{"scheme": "irma", "min_level": "transparency"}]);
    policy["targets"] = json!([{"metric": "certified", "comparison": "at_least", "share": 0.5}]);
    let (status, stored) = send(app.put("/v1/policy", &buyer, &policy)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["source"], "organisation");
    let (_, mix) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &buyer)).await;
    assert_eq!(mix["policy_source"], "organisation");
    assert_eq!(mix["overall"]["certified_mg"], 55_000_000);
    assert_eq!(class(&mix["overall"], "lsm")["certified_mg"], 15_000_000);
    assert_eq!(mix["targets"][0]["actual"]["value"], "0.550000");
    assert_eq!(mix["targets"][0]["met"], true);

    // Another organisation still has the default.
    let other = app.purchaser("Other").await;
    let (_, theirs) = send(app.get("/v1/policy", &other)).await;
    assert_eq!(theirs["source"], "default");

    for (change, pointer) in [
        (
            json!({"lsm": [{"scheme": "nope"}]}),
            "/accepted/lsm/0/scheme",
        ),
        (
            json!({"lsm": [{"scheme": "irma", "min_level": "irma_99"}]}),
            "/accepted/lsm/0/min_level",
        ),
        (
            json!({"asm": [{"scheme": "irma"}]}),
            "/accepted/asm/0/scheme",
        ),
    ] {
        let mut bad = policy.clone();
        for (k, v) in change.as_object().unwrap() {
            bad["accepted"][k] = v.clone();
        }
        let response = send_raw(app.put("/v1/policy", &buyer, &bad)).await;
        let problem = assert_problem(response, 422).await;
        assert_eq!(pointers(&problem), vec![pointer.to_owned()], "{change}");
    }
    let mut bad = policy.clone();
    bad["targets"] = json!([{"metric": "unknown", "comparison": "at_most", "share": 1.5}]);
    let response = send_raw(app.put("/v1/policy", &buyer, &bad)).await;
    assert_eq!(
        pointers(&assert_problem(response, 422).await),
        vec!["/targets/0/share"]
    );

    let reader = app
        .organisation("Reader", "purchaser", &["purchases:read"])
        .await;
    let response = send_raw(app.put("/v1/policy", &reader, &policy)).await;
    assert_problem(response, 403).await;
}

async fn bad_mix_parameters_are_400(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    for bad in [
        "from=2026-12-31&to=2026-01-01",
        "group_by=colour",
        "group_by=mineral,month,supplier",
        "group_by=month,month",
        "mineral=lead",
        "from=yesterday",
        "period=2026",
    ] {
        let response = send_raw(app.get(&format!("/v1/sourcing-mix?{bad}"), &buyer)).await;
        assert_problem(response, 400).await;
    }
}

both_backends!(
    mix_matches_the_hand_computation,
    mix_as_csv,
    mix_as_csv_on_its_own_route,
    the_policy_decides_what_counts,
    bad_mix_parameters_are_400,
    the_rollup_always_equals_the_lines,
    whole_months_summed_judge_each_purchase_on_its_day,
    a_summed_run_is_its_cells_added_up,
);

/// `store::mix::aggregate_summed` on either rollup, on either backend (whether the mix uses it
/// there or not), whatever it keeps apart, equals the run's cells added up per key in memory:
/// the cells of the facilities read apart keep their own dates, and PostgreSQL sums over
/// suppliers when they need not be kept (SQLite keeps them; summed in memory here, both give
/// the same figures).
async fn a_summed_run_is_its_cells_added_up(app: TestApp) {
    use oretrace::store::mix::{self, Grain, Summing};
    let buyer = scenario(&app).await;
    let apart_mine = fixtures::mine(&app, "Apart", "asm", "CO").await;
    let shared_mine = fixtures::mine(&app, "Shared", "lsm", "PE").await;
    let supplier = fixtures::supplier(&app, "Apart Trading").await;
    let other_supplier = fixtures::supplier(&app, "Second Trading").await;
    for on in ["2026-03-02", "2026-04-09"] {
        let line = PurchaseLine::new(&format!("A-{on}"), &supplier)
            .on(on)
            .kg(2)
            .declared([Origin::facility(&apart_mine, 1)]);
        app.create_purchase(&buyer, &line).await;
        // Two suppliers selling from one mine on the same day: one cell each.
        for (n, s) in [&supplier, &other_supplier].into_iter().enumerate() {
            let line = PurchaseLine::new(&format!("S{n}-{on}"), s)
                .on(on)
                .kg(3 + n as i64)
                .declared([Origin::facility(&shared_mine, 1)]);
            app.create_purchase(&buyer, &line).await;
        }
    }
    let org: oretrace::domain::ids::OrganisationId = buyer.org_id.parse().unwrap();
    let apart: oretrace::domain::ids::FacilityId = apart_mine.parse().unwrap();
    let shared: oretrace::domain::ids::FacilityId = shared_mine.parse().unwrap();
    let postgres = app.backend == crate::helpers::Backend::Postgres;
    app.with_conn(move |conn| {
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let summings = [
            (false, true),
            (false, false),
            (true, false),
            (true, true),
        ]
        .map(|(dates, suppliers)| Summing { dates, suppliers });
        for (grain, run) in [
            (Grain::Month, (day("2026-01-01"), day("2026-12-01"))),
            (Grain::Day, (day("2026-03-01"), day("2026-04-30"))),
        ] {
            for summing in summings {
                let case = format!("{grain:?}, {summing:?}");
                // A cell's key as this summing keeps it.
                let key = |c: &mix::OriginAggregate, on| {
                    (
                        on,
                        c.mineral,
                        c.supplier_party_id.filter(|_| summing.suppliers),
                        c.facility_id,
                        c.origin_class,
                        c.country,
                        c.declared,
                        c.has_lot,
                    )
                };
                let add_up = |cells: &[mix::OriginAggregate], dated: &dyn Fn(&mix::OriginAggregate) -> chrono::NaiveDate| {
                    let mut sums = std::collections::BTreeMap::new();
                    for c in cells {
                        let entry = sums.entry(key(c, dated(c))).or_insert((0, 0));
                        entry.0 += c.quantity_mg;
                        entry.1 += c.quantity_uozt;
                    }
                    sums
                };
                let cells = mix::rollup_cells(conn, org, grain, run, None, None).unwrap();
                assert!(cells.len() >= 9, "{case}: {cells:?}");
                let expected = add_up(&cells, &|c| {
                    if summing.dates || c.facility_id == Some(apart) {
                        c.purchased_on
                    } else {
                        run.0
                    }
                });
                let summed =
                    mix::aggregate_summed(conn, org, grain, run, None, &[apart], summing)
                        .unwrap();
                assert_eq!(add_up(&summed, &|c| c.purchased_on), expected, "{case}");
                // The facility read apart keeps its two dates.
                let mut apart_dates: Vec<_> = summed
                    .iter()
                    .filter(|c| c.facility_id == Some(apart))
                    .map(|c| c.purchased_on)
                    .collect();
                apart_dates.dedup();
                assert_eq!(apart_dates.len(), 2, "{case}: {apart_dates:?}");
                // What each backend returns: PostgreSQL one row per kept key, without suppliers
                // when it need not keep them, and so does the monthly rollup by origin (months
                // by month without suppliers) on both; SQLite otherwise every supplier.
                let shared_rows = summed
                    .iter()
                    .filter(|c| c.facility_id == Some(shared))
                    .count();
                let dates = if summing.dates { 2 } else { 1 };
                let by_origin = grain == Grain::Month && summing.dates && !summing.suppliers;
                if postgres || by_origin {
                    assert_eq!(summed.len(), expected.len(), "{case}: one row per key");
                    assert!(
                        summed
                            .iter()
                            .all(|c| c.supplier_party_id.is_some() == summing.suppliers),
                        "{case}"
                    );
                    let suppliers = if summing.suppliers { 2 } else { 1 };
                    assert_eq!(shared_rows, dates * suppliers, "{case}");
                } else {
                    assert!(summed.iter().all(|c| c.supplier_party_id.is_some()), "{case}");
                    assert_eq!(shared_rows, dates * 2, "{case}");
                }
            }
        }
    })
    .await;
}

/// A mix that is not by month sums its whole months in the database for the facilities whose
/// certificates cannot change standing within them, and reads the others month by month and
/// by day. Three ASM and LSM mines: A certified all year (summed), B suspended from 2026-06-15
/// and C certified from 2026-04-01 (both read apart).
///
/// | line | date       | kg | origin    | certified |
/// |------|------------|----|-----------|-----------|
/// | P1   | 2026-02-10 | 10 | A         | yes       |
/// | P2   | 2026-05-20 | 20 | B         | yes       |
/// | P3   | 2026-07-01 | 30 | B         | no        |
/// | P4   | 2026-03-05 | 40 | C         | no        |
/// | P5   | 2026-06-30 | 15 | C         | yes       |
/// | P6   | 2026-09-09 | 5  | recycled (tin) | no   |
/// | P7   | 2026-04-04 | 25 | unknown   | no        |
/// | P8   | 2026-06-10 | 8  | B         | yes       |
/// | P9   | 2026-06-20 | 12 | B         | no        |
///
/// Every grouping, and the month-by-month reading, give the same overall figures.
async fn whole_months_summed_judge_each_purchase_on_its_day(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Andes Trading").await;
    let other_supplier = fixtures::supplier(&app, "Sierra Metals").await;
    let a = fixtures::mine(&app, "Mine A", "asm", "PE").await;
    let b = fixtures::mine(&app, "Mine B", "asm", "BO").await;
    let c = fixtures::mine(&app, "Mine C", "lsm", "GH").await;
    let certify = |mine: &str, scheme: &str, level: &str, from: &str| {
        Certification::of_facility(mine, scheme)
            .level(level)
            .valid(from, "2027-12-31")
    };
    app.create_certification(certify(&a, "fairmined", "fairmined", "2025-01-01"))
        .await;
    let suspended = app
        .create_certification(certify(&b, "fairmined", "fairmined", "2025-01-01"))
        .await
        .id();
    app.patch_certification(
        &suspended,
        &json!({"status": "suspended", "effective_on": "2026-06-15", "reason": "test"}),
    )
    .await;
    app.create_certification(certify(&c, "irma", "irma_50", "2026-04-01"))
        .await;
    let line = |external_ref: &str, on: &str, kg: i64| {
        PurchaseLine::new(external_ref, &supplier).on(on).kg(kg)
    };
    for purchase in [
        line("P1", "2026-02-10", 10).declared([Origin::facility(&a, 1)]),
        line("P2", "2026-05-20", 20).declared([Origin::facility(&b, 1)]),
        line("P3", "2026-07-01", 30)
            .declared([Origin::facility(&b, 1)])
            .supplier(&other_supplier),
        line("P4", "2026-03-05", 40).declared([Origin::facility(&c, 1)]),
        line("P5", "2026-06-30", 15).declared([Origin::facility(&c, 1)]),
        line("P6", "2026-09-09", 5)
            .mineral("tin")
            .declared([Origin::class("recycled", 1)]),
        line("P7", "2026-04-04", 25),
        line("P8", "2026-06-10", 8).declared([Origin::facility(&b, 1)]),
        line("P9", "2026-06-20", 12).declared([Origin::facility(&b, 1)]),
    ] {
        app.create_purchase(&buyer, &purchase).await;
    }
    // Another organisation's purchases from the same mines count only for it.
    let other = app.purchaser("Other").await;
    app.create_purchase(
        &other,
        &PurchaseLine::new("X1", &supplier)
            .on("2026-07-01")
            .kg(1000)
            .declared([Origin::facility(&b, 1)]),
    )
    .await;

    let mix = |query: String| {
        let buyer = &buyer;
        let app = &app;
        async move {
            let (status, mix) = send(app.get(&format!("/v1/sourcing-mix?{query}"), buyer)).await;
            assert_eq!(status, StatusCode::OK, "{query}: {mix}");
            mix
        }
    };
    for (period, total, certified, asm_certified) in [
        ("from=2026-01-01&to=2026-12-31", 165, 53, 38),
        ("from=2026-02-01&to=2026-09-30", 165, 53, 38),
        // Partial months at both edges: the days come from the daily rollup.
        ("from=2026-02-11&to=2026-09-08", 150, 43, 28),
        ("from=2026-01-01&to=2026-12-31&mineral=gold", 160, 53, 38),
        // Only the months in which B stands suspended: nothing certified of B.
        ("from=2026-07-01&to=2026-08-31", 30, 0, 0),
        // B is suspended within the days at the start (June 2 to 30).
        ("from=2026-06-02&to=2026-08-31", 65, 23, 8),
        // Days only, B suspended among them.
        ("from=2026-06-02&to=2026-06-25", 20, 8, 8),
    ] {
        let by_month = mix(format!("{period}&group_by=month")).await;
        for grouping in [
            "",
            "&group_by=mineral",
            "&group_by=supplier",
            "&group_by=country",
        ] {
            let answer = mix(format!("{period}{grouping}")).await;
            let overall = &answer["overall"];
            assert_eq!(overall["total_mg"], total * 1_000_000, "{period}{grouping}");
            assert_eq!(
                overall["certified_mg"],
                certified * 1_000_000,
                "{period}{grouping}"
            );
            assert_eq!(
                class(overall, "asm")["certified_mg"],
                asm_certified * 1_000_000,
                "{period}{grouping}"
            );
            assert_eq!(overall, &by_month["overall"], "{period}{grouping}");
            let groups = answer["groups"].as_array().unwrap();
            let summed: i64 = groups
                .iter()
                .map(|g| g["figures"]["total_mg"].as_i64().unwrap())
                .sum();
            if !grouping.is_empty() {
                assert_eq!(summed, total * 1_000_000, "{period}{grouping}");
            }
        }
        // By month (read summed over suppliers where the database sums) is by supplier and
        // month (suppliers kept) added up per month, figure for figure.
        let by_supplier_month = mix(format!("{period}&group_by=supplier,month")).await;
        assert_eq!(
            by_supplier_month["overall"], by_month["overall"],
            "{period}"
        );
        let figures = |g: &Value| {
            let f = &g["figures"];
            [
                f["total_mg"].as_i64().unwrap(),
                f["certified_mg"].as_i64().unwrap(),
                class(f, "asm")["certified_mg"].as_i64().unwrap(),
                class(f, "lsm")["certified_mg"].as_i64().unwrap(),
            ]
        };
        let mut added_up = std::collections::BTreeMap::<String, [i64; 4]>::new();
        for g in by_supplier_month["groups"].as_array().unwrap() {
            let month = g["key"][1]["value"].as_str().unwrap().to_owned();
            let sums = added_up.entry(month).or_default();
            for (sum, figure) in sums.iter_mut().zip(figures(g)) {
                *sum += figure;
            }
        }
        let months: std::collections::BTreeMap<String, [i64; 4]> = by_month["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["key"][0]["value"].as_str().unwrap().to_owned(),
                    figures(g),
                )
            })
            .collect();
        assert_eq!(months, added_up, "{period}");
    }
    let (_, theirs) = send(app.get("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31", &other)).await;
    assert_eq!(theirs["overall"]["total_mg"], 1_000_000_000);
    assert_eq!(theirs["overall"]["certified_mg"], 0);
}

/// The daily rollup the mix reads stays equal to the sum of the purchase lines, and the monthly
/// one to the daily one summed per month, through
/// creates, updates (quantity, origin, date, supplier), re-sends, batch updates and deletes.
async fn the_rollup_always_equals_the_lines(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let s1 = fixtures::supplier(&app, "S1").await;
    let s2 = fixtures::supplier(&app, "S2").await;
    let asm = fixtures::mine(&app, "ASM", "asm", "PE").await;
    let post = |line: &PurchaseLine| send(app.post("/v1/purchases", &buyer, line));
    let base = |r: &str, s: &str| PurchaseLine::new(r, s).kg(3).on("2026-05-05");
    post(&base("A", &s1)).await;
    let b = base("B", &s1).declared([Origin::facility(&asm, 0.5), Origin::class("lsm", 0.5)]);
    post(&b).await;
    let b = b.kg(7).on("2026-06-06").supplier(&s2);
    post(&b).await; // moves B to another day and supplier
    post(&b).await; // unchanged
    let c = app.create_purchase(&buyer, &base("C", &s2)).await;
    let csv = format!(
        "external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n\
         A,{s1},gold,4,kg,2026-05-05,recycled=1\nD,{s2},tin,1,t,2026-05-07,asm:CD=1\n"
    );
    send(app.purchases_csv(&buyer, csv)).await;
    app.delete_purchase(&buyer, &c.id()).await;

    let org: oretrace::domain::ids::OrganisationId = buyer.org_id.parse().unwrap();
    let (rollup, lines) = app
        .with_conn(move |conn| {
            let from = "2000-01-01".parse().unwrap();
            let to = "2100-01-01".parse().unwrap();
            let mut read = |grain| {
                oretrace::store::mix::rollup_cells(conn, org, grain, (from, to), None, None)
                    .unwrap()
            };
            let days = read(oretrace::store::mix::Grain::Day);
            let months = read(oretrace::store::mix::Grain::Month);
            let mut rollup: Vec<_> = days
                .iter()
                .map(|r| {
                    (
                        r.purchased_on,
                        r.mineral,
                        r.supplier_party_id
                            .expect("a cell as stored names its supplier"),
                        r.facility_id,
                        r.origin_class,
                        r.quantity_mg,
                        r.quantity_uozt,
                    )
                })
                .collect();
            rollup.sort();
            let mut merged: Vec<oretrace::store::mix::LineSum> = Vec::new();
            for row in rollup {
                match merged.last_mut() {
                    Some(last)
                        if (&last.0, &last.1, &last.2, &last.3, &last.4)
                            == (&row.0, &row.1, &row.2, &row.3, &row.4) =>
                    {
                        last.5 += row.5;
                        last.6 += row.6;
                    }
                    _ => merged.push(row),
                }
            }
            let mut lines = oretrace::store::mix::aggregate_from_lines(conn, org).unwrap();
            lines.sort();
            // The monthly rollup is the daily one summed per month, cell for cell.
            let cell = |r: oretrace::store::mix::OriginAggregate, on| {
                (
                    on,
                    r.mineral,
                    r.supplier_party_id,
                    r.facility_id,
                    r.origin_class,
                    r.country,
                    r.declared,
                    r.has_lot,
                )
            };
            let mut days_by_month = std::collections::BTreeMap::new();
            for r in days {
                let (mg, uozt) = (r.quantity_mg, r.quantity_uozt);
                let month = oretrace::domain::mix::month_start(r.purchased_on);
                let sums = days_by_month.entry(cell(r, month)).or_insert((0, 0));
                sums.0 += mg;
                sums.1 += uozt;
            }
            days_by_month.retain(|_, sums| *sums != (0, 0));
            // Cells as read, each keyed by itself on its own date.
            let keyed = |cells: Vec<oretrace::store::mix::OriginAggregate>| {
                cells
                    .into_iter()
                    .map(|r| {
                        let sums = (r.quantity_mg, r.quantity_uozt);
                        let on = r.purchased_on;
                        (cell(r, on), sums)
                    })
                    .collect::<std::collections::BTreeMap<_, _>>()
            };
            let months = keyed(months);
            assert_eq!(months, days_by_month);
            assert!(months.len() >= 4, "{months:?}");
            // The monthly rollup by origin is the monthly one summed over suppliers, cell for cell.
            let mut summed_over_suppliers = std::collections::BTreeMap::new();
            for ((on, mineral, _, facility, class, country, declared, has_lot), (mg, uozt)) in
                &months
            {
                let key = (
                    *on, *mineral, None, *facility, *class, *country, *declared, *has_lot,
                );
                let sums = summed_over_suppliers.entry(key).or_insert((0, 0));
                sums.0 += mg;
                sums.1 += uozt;
            }
            let by_origin = keyed(
                oretrace::store::mix::aggregate_summed(
                    conn,
                    org,
                    oretrace::store::mix::Grain::Month,
                    (from, to),
                    None,
                    &[],
                    oretrace::store::mix::Summing {
                        dates: true,
                        suppliers: false,
                    },
                )
                .unwrap(),
            );
            assert_eq!(by_origin, summed_over_suppliers);
            (merged, lines)
        })
        .await;
    assert_eq!(rollup, lines);
    assert_eq!(
        lines.len(),
        4,
        "A recycled, B asm + lsm on its new day, D asm: {lines:?}"
    );
}
