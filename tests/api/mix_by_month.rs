//! The sourcing mix by month: each month's figures worked out by hand, with facilities whose
//! certificates change standing within a month (read by day) beside facilities judged once
//! for the whole month, a certificate scoped to one mineral, and another organisation buying
//! from the same mines in the same months.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::builders::{Certification, Origin, PurchaseLine};
use crate::fixtures;
use crate::helpers::{HasId, TestApp, send};
use crate::sourcing_mix::class;

both_backends!(each_month_is_judged_as_its_days_are);

/// Five mines: A (ASM) certified all year; B (ASM) suspended from 2026-06-15; C (LSM) certified
/// from 2026-04-01; D (ASM) without a certificate; E (ASM) certified for gold only.
///
/// | line | date       | kg | mine | mineral | certified |
/// |------|------------|----|------|---------|-----------|
/// | P1   | 2026-02-10 | 10 | A    | gold    | yes       |
/// | P2   | 2026-05-20 | 20 | B    | gold    | yes       |
/// | P3   | 2026-06-10 | 8  | B    | gold    | yes (before the suspension) |
/// | P4   | 2026-06-20 | 12 | B    | gold    | no        |
/// | P5   | 2026-07-01 | 30 | B    | gold    | no        |
/// | P6   | 2026-03-05 | 40 | C    | gold    | no        |
/// | P7   | 2026-04-01 | 15 | C    | gold    | yes       |
/// | P8   | 2026-04-10 | 7  | D    | gold    | no        |
/// | P9   | 2026-05-05 | 9  | E    | gold    | yes       |
/// | P10  | 2026-05-06 | 11 | E    | tin     | no        |
/// | P11  | 2026-06-25 | 6  | A    | gold    | yes       |
///
/// By month (total, certified, certified ASM, certified LSM): February 10/10/10/0, March
/// 40/0/0/0, April 22/15/0/15, May 40/29/29/0, June 26/14/14/0, July 30/0/0/0. June holds both
/// a facility judged by day (B) and one judged for the whole month (A).
async fn each_month_is_judged_as_its_days_are(app: TestApp) {
    let buyer = app.purchaser("Buyer").await;
    let supplier = fixtures::supplier(&app, "Andes Trading").await;
    let second = fixtures::supplier(&app, "Sierra Metals").await;
    let a = fixtures::mine(&app, "Mine A", "asm", "PE").await;
    let b = fixtures::mine(&app, "Mine B", "asm", "BO").await;
    let c = fixtures::mine(&app, "Mine C", "lsm", "GH").await;
    let d = fixtures::mine(&app, "Mine D", "asm", "PE").await;
    let e = fixtures::mine(&app, "Mine E", "asm", "CO").await;
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
    app.create_certification(
        certify(&e, "fairmined", "fairmined", "2025-01-01").minerals(&["gold"]),
    )
    .await;
    let line = |external_ref: &str, on: &str, kg: i64, mine: &str| {
        PurchaseLine::new(external_ref, &supplier)
            .on(on)
            .kg(kg)
            .declared([Origin::facility(mine, 1)])
    };
    for purchase in [
        line("P1", "2026-02-10", 10, &a),
        line("P2", "2026-05-20", 20, &b),
        line("P3", "2026-06-10", 8, &b).supplier(&second),
        line("P4", "2026-06-20", 12, &b),
        line("P5", "2026-07-01", 30, &b),
        line("P6", "2026-03-05", 40, &c),
        line("P7", "2026-04-01", 15, &c).supplier(&second),
        line("P8", "2026-04-10", 7, &d),
        line("P9", "2026-05-05", 9, &e),
        line("P10", "2026-05-06", 11, &e).mineral("tin"),
        line("P11", "2026-06-25", 6, &a),
    ] {
        app.create_purchase(&buyer, &purchase).await;
    }
    // Another organisation buys certified gold from A and B in the same months: its lines
    // count only for it.
    let other = app.purchaser("Other").await;
    for (n, (on, mine)) in [("2026-05-10", &b), ("2026-06-05", &a)]
        .into_iter()
        .enumerate()
    {
        let line = PurchaseLine::new(&format!("X{n}"), &supplier)
            .on(on)
            .kg(1000)
            .declared([Origin::facility(mine, 1)]);
        app.create_purchase(&other, &line).await;
    }

    let expected: BTreeMap<&str, [i64; 4]> = BTreeMap::from([
        ("2026-02", [10, 10, 10, 0]),
        ("2026-03", [40, 0, 0, 0]),
        ("2026-04", [22, 15, 0, 15]),
        ("2026-05", [40, 29, 29, 0]),
        ("2026-06", [26, 14, 14, 0]),
        ("2026-07", [30, 0, 0, 0]),
    ]);
    let kg = |mg: &Value| mg.as_i64().unwrap() / 1_000_000;
    let figures = |f: &Value| {
        [
            kg(&f["total_mg"]),
            kg(&f["certified_mg"]),
            kg(&class(f, "asm")["certified_mg"]),
            kg(&class(f, "lsm")["certified_mg"]),
        ]
    };
    for period in [
        "from=2026-01-01&to=2026-12-31",
        // Whole months from February to July: the verdicts start and end with the period.
        "from=2026-02-01&to=2026-07-31",
    ] {
        let (status, by_month) =
            send(app.get(&format!("/v1/sourcing-mix?{period}&group_by=month"), &buyer)).await;
        assert_eq!(status, StatusCode::OK, "{by_month}");
        let months: BTreeMap<String, [i64; 4]> = by_month["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let month = g["key"][0]["value"].as_str().unwrap().to_owned();
                (month, figures(&g["figures"]))
            })
            .collect();
        let expected: BTreeMap<String, [i64; 4]> = expected
            .iter()
            .map(|(m, f)| ((*m).to_owned(), *f))
            .collect();
        assert_eq!(months, expected, "{period}");
        assert_eq!(figures(&by_month["overall"]), [168, 68, 53, 15], "{period}");
        // By supplier and month, added up per month, is the same.
        let (_, by_supplier) = send(app.get(
            &format!("/v1/sourcing-mix?{period}&group_by=supplier,month"),
            &buyer,
        ))
        .await;
        let mut added_up = BTreeMap::<String, [i64; 4]>::new();
        for g in by_supplier["groups"].as_array().unwrap() {
            let month = g["key"][1]["value"].as_str().unwrap().to_owned();
            let sums = added_up.entry(month).or_default();
            for (sum, figure) in sums.iter_mut().zip(figures(&g["figures"])) {
                *sum += figure;
            }
        }
        assert_eq!(added_up, expected, "{period}");
    }
    // One mineral: tin is never certified (E's certificate is for gold).
    let (_, tin) = send(app.get(
        "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month&mineral=tin",
        &buyer,
    ))
    .await;
    assert_eq!(figures(&tin["overall"]), [11, 0, 0, 0], "{tin}");
    let (_, theirs) = send(app.get(
        "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by=month",
        &other,
    ))
    .await;
    assert_eq!(
        figures(&theirs["overall"]),
        [2000, 2000, 2000, 0],
        "{theirs}"
    );
}
