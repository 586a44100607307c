//! The supply the certificate watch looks at (`store::webhook::certification_state::supply`),
//! on both backends: read from the rollup and by index probes, it stays exactly what a
//! `SELECT DISTINCT` over every purchase, origin row and custody event finds, through creates,
//! updates, reversals, origin rows that weigh nothing, and another organisation's purchases.

use diesel::RunQueryDsl;
use diesel::sql_types::Text;
use oretrace::db::DbConn;
use oretrace::domain::ids::OrganisationId;
use oretrace::store::webhook::certification_state;
use reqwest::StatusCode;

use crate::builders::{Event, Origin, PurchaseLine};
use crate::fixtures::{lot, mine, supplier};
use crate::helpers::{Client, TestApp, send};

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

/// The sorted distinct ids `statement` finds for the organisation (bound as `$1`).
fn distinct(conn: &mut DbConn, statement: &str, organisation: &str) -> Vec<String> {
    let mut ids: Vec<String> = diesel::sql_query(statement)
        .bind::<Text, _>(organisation)
        .load::<Id>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The supply as the plain `DISTINCT` over every row finds it (what `supply` read before).
fn reference(conn: &mut DbConn, organisation: &str) -> (Vec<String>, Vec<String>) {
    let facilities = distinct(
        conn,
        "SELECT DISTINCT facility_id AS id FROM purchase_origins \
         WHERE organisation_id = $1 AND facility_id IS NOT NULL \
         UNION SELECT DISTINCT facility_id FROM custody_events \
         WHERE organisation_id = $1 AND facility_id IS NOT NULL",
        organisation,
    );
    let parties = distinct(
        conn,
        "SELECT DISTINCT supplier_party_id AS id FROM purchases WHERE organisation_id = $1 \
         UNION SELECT from_party_id FROM custody_events \
         WHERE organisation_id = $1 AND from_party_id IS NOT NULL \
         UNION SELECT to_party_id FROM custody_events \
         WHERE organisation_id = $1 AND to_party_id IS NOT NULL",
        organisation,
    );
    (facilities, parties)
}

/// The supply as the watch reads it, beside the reference, and how many of the organisation's
/// origin rows weigh nothing.
async fn read(app: &TestApp, client: &Client) -> ((Vec<String>, Vec<String>), usize) {
    let organisation = client.org_id.clone();
    app.with_conn(move |conn| {
        let id: OrganisationId = organisation.parse().unwrap();
        let supply = certification_state::supply(conn, id).unwrap();
        assert_eq!(
            supply,
            reference(conn, &organisation),
            "the watched supply differs from the DISTINCT over every row"
        );
        let weightless = distinct(
            conn,
            "SELECT CAST(position AS TEXT) || purchase_id AS id FROM purchase_origins \
             WHERE organisation_id = $1 AND quantity_mg = 0 AND quantity_uozt = 0",
            &organisation,
        );
        (supply, weightless.len())
    })
    .await
}

async fn the_watched_supply_is_every_row_distinct(app: TestApp) {
    let (s1, s2, s3) = (
        supplier(&app, "S1").await,
        supplier(&app, "S2").await,
        supplier(&app, "S3").await,
    );
    let mut m = Vec::new();
    for name in ["M1", "M2", "M3", "M4", "M5"] {
        m.push(mine(&app, name, "asm", "PE").await);
    }
    let a = app.purchaser("A").await;
    let b = app.purchaser("B").await;
    let sorted = |mut ids: Vec<&String>| {
        ids.sort();
        ids.into_iter().cloned().collect::<Vec<_>>()
    };
    assert_eq!(read(&app, &a).await.0, (vec![], vec![]), "nothing bought");

    // B buys from S3 with M5 declared: none of it is A's.
    let theirs = PurchaseLine::new("B-1", &s3)
        .kg(2)
        .declared([Origin::facility(&m[4], 1.0)]);
    app.create_purchase(&b, &theirs).await;

    // A: a kilogram half from M1, and a milligram split three ways (two shares weigh nothing).
    let one = PurchaseLine::new("A-1", &s1)
        .kg(1)
        .declared([Origin::facility(&m[0], 0.5), Origin::class("lsm", 0.5)]);
    app.create_purchase(&a, &one).await;
    let crumb = PurchaseLine::new("A-2", &s2).g(0.001).declared([
        Origin::facility(&m[1], 0.34),
        Origin::facility(&m[2], 0.33),
        Origin::facility(&m[3], 0.33),
    ]);
    let crumb_id = app.create_purchase(&a, &crumb).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (supply, weightless) = read(&app, &a).await;
    assert_eq!(weightless, 2, "M3's and M4's shares of the milligram");
    assert_eq!(supply.0, sorted(vec![&m[0], &m[1], &m[2], &m[3]]));
    assert_eq!(supply.1, sorted(vec![&s1, &s2]));

    // A-1 updated: M1 leaves for M4 (whose cell, until now, held nothing); its emptied cell
    // stays in the rollup until the purge, and is not in the supply.
    let one = PurchaseLine::new("A-1", &s1)
        .kg(1)
        .declared([Origin::facility(&m[3], 1.0)]);
    let (status, body) = send(app.post("/v1/purchases", &a, &one)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (supply, _) = read(&app, &a).await;
    assert_eq!(supply.0, sorted(vec![&m[1], &m[2], &m[3]]));

    // The milligram reversed: S2, M2 and M3 leave; M4 stays through A-1.
    app.delete_purchase(&a, &crumb_id).await;
    let (supply, weightless) = read(&app, &a).await;
    assert_eq!(weightless, 0);
    assert_eq!(supply, (vec![m[3].clone()], vec![s1.clone()]));

    // Custody events count too: an extraction at M2, a transfer from S3 to S2.
    let ore = lot(&app, &a, "ORE-1", 10.0).await;
    app.record_event(&a, &Event::extraction("2026-01-10", &m[1]).output(&ore))
        .await;
    app.record_event(&a, &Event::transfer("2026-01-11", &s3, &s2).lot(&ore))
        .await;
    let (supply, _) = read(&app, &a).await;
    assert_eq!(supply.0, sorted(vec![&m[1], &m[3]]));
    assert_eq!(supply.1, sorted(vec![&s1, &s2, &s3]));

    // A purchase naming a lot (its cells are kept apart in the rollups) brings M1 back.
    let traced = PurchaseLine::new("A-3", &s1)
        .g(5)
        .lot(&ore)
        .declared([Origin::facility(&m[0], 1.0)]);
    app.create_purchase(&a, &traced).await;
    let (supply, _) = read(&app, &a).await;
    assert_eq!(supply.0, sorted(vec![&m[0], &m[1], &m[3]]));

    // B's supply is its own.
    let (supply, _) = read(&app, &b).await;
    assert_eq!(supply, (vec![m[4].clone()], vec![s3.clone()]));
}

crate::both_backends!(the_watched_supply_is_every_row_distinct);
