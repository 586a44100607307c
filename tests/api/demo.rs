//! The demo catalog: seeded into an empty database, realistic enough to try every question.

use oretrace::db::ConnectionManager;
use oretrace::demo::catalog::{self, names};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, Client, Expect, HasId, TestApp, TestDb, test_config};

pub(crate) async fn seeded_app(backend: Backend) -> Option<(TestApp, Client)> {
    let db = TestDb::create(backend)?;
    let config = test_config(&db);
    let seeded = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            oretrace::api::startup::migrate_with_retry(&config, std::time::Duration::from_secs(5))
                .expect("migrations");
            let mut conn =
                ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
                    .establish()
                    .expect("connect");
            let credentials = oretrace::demo::seed_if_empty(&mut conn)
                .expect("seed")
                .expect("an empty database is seeded");
            let kalimbi = catalog::facility(&mut conn, names::KALIMBI_MINE).expect("lookup");
            assert!(kalimbi.is_some(), "demo ids are found by name");
            let none = catalog::party(&mut conn, "Nobody (fictional)").expect("lookup");
            assert!(none.is_none());
            assert!(
                oretrace::demo::seed_if_empty(&mut conn)
                    .expect("seed")
                    .is_none()
            );
            credentials
        })
        .await
        .expect("seeding")
    };
    let app = TestApp::start(db, config).await;
    let token = app
        .token(&seeded.purchaser_client_id, &seeded.purchaser_client_secret)
        .await;
    let buyer = Client {
        org_id: seeded.purchaser_organisation_id,
        client_id: seeded.purchaser_client_id,
        secret: seeded.purchaser_client_secret,
        token,
    };
    Some((app, buyer))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_catalog_answers_the_first_question() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((app, buyer)) = seeded_app(backend).await else {
            continue;
        };
        let today = chrono::Utc::now().date_naive();
        let smelter = &app
            .items(&buyer, "/v1/facilities?identifier=rmi_cid:CID009901")
            .await[0];
        assert_eq!(smelter["name"], names::STRAITS_TIN_SMELTER);
        let id = smelter["id"].as_str().unwrap();
        let standing = app
            .items(&buyer, &format!("/v1/facilities/{id}/certifications"))
            .await;
        assert_eq!(standing[0]["effective_status"], "active");
        assert_eq!(standing[0]["level"], "conformant");

        let bangka = &app
            .items(&buyer, "/v1/facilities?identifier=rmi_cid:CID009902")
            .await[0];
        let id = bangka["id"].as_str().unwrap();
        let now = app
            .items(&buyer, &format!("/v1/facilities/{id}/certifications"))
            .await;
        assert_eq!(now[0]["effective_status"], "suspended");
        let before = app
            .items(
                &buyer,
                &format!(
                    "/v1/facilities/{id}/certifications?as_of={}-01-01",
                    chrono::Datelike::year(&today) - 1
                ),
            )
            .await;
        assert_eq!(before[0]["effective_status"], "active");

        let gulf = &app
            .items(&buyer, "/v1/facilities?identifier=rmi_cid:CID009903")
            .await[0];
        let id = gulf["id"].as_str().unwrap();
        assert!(
            app.items(&buyer, &format!("/v1/facilities/{id}/certifications"))
                .await
                .is_empty()
        );

        let lsm = app.items(&buyer, "/v1/facilities?mining_scale=lsm").await;
        assert_eq!(lsm.len(), 3);
        let with_asm: Vec<&Value> = lsm.iter().filter(|m| m["asm_presence"] == true).collect();
        assert_eq!(with_asm.len(), 2);
        assert!(
            with_asm
                .iter()
                .any(|m| m["coexistence_agreement"]["status"] == "signed")
        );
        assert!(
            with_asm
                .iter()
                .any(|m| m["coexistence_agreement"].is_null())
        );

        let irma_today = app
            .items(&buyer, "/v1/facilities?certified_scheme=irma")
            .await;
        assert_eq!(irma_today.len(), 3);
        let asm_certified = app
            .items(&buyer, "/v1/facilities?certified_scheme=fairmined")
            .await;
        assert_eq!(asm_certified[0]["name"], names::SOL_NACIENTE_MINE);
        let horizon = today + chrono::Days::new(60);
        let expiring = app
            .items(
                &buyer,
                &format!("/v1/certifications?expiring_before={horizon}&effective_status=active"),
            )
            .await;
        let schemes: Vec<&str> = expiring
            .iter()
            .map(|c| c["scheme"].as_str().unwrap())
            .collect();
        assert_eq!(schemes, vec!["craft", "irma", "lbma_rgg"]);
        let countries: std::collections::BTreeSet<String> = app
            .items(&buyer, "/v1/facilities?limit=500")
            .await
            .iter()
            .map(|f| f["country"].as_str().unwrap().to_owned())
            .collect();
        assert!(countries.len() >= 8, "{countries:?}");
        let traders = app.items(&buyer, "/v1/parties?role=trader").await;
        assert!(traders.len() >= 3);
    }
}

/// The demo purchaser has a year of purchases, its mix is meaningful, and the shipped example
/// CSV (which names the demo's fixed ids) loads into any demo database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_purchases_and_the_example_csv() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((app, buyer)) = seeded_app(backend).await else {
            continue;
        };
        let demo_lines = app.items(&buyer, "/v1/purchases?limit=500").await.len();
        assert!(demo_lines > 150, "a year of purchases: {demo_lines}");
        let today = chrono::Utc::now().date_naive();
        let from = today - chrono::Days::new(366);
        let mix = app
            .sourcing_mix(&buyer, &format!("from={from}&to={today}&group_by=mineral"))
            .await;
        let classes = mix["overall"]["classes"].as_array().unwrap();
        for class in ["asm", "lsm", "recycled", "unknown"] {
            let figures = classes.iter().find(|c| c["origin_class"] == class).unwrap();
            assert!(
                figures["quantity_mg"].as_i64().unwrap() > 0,
                "{class} is present"
            );
        }
        assert!(mix["overall"]["certified_mg"].as_i64().unwrap() > 0);
        assert!(
            mix["groups"].as_array().unwrap().len() >= 4,
            "several minerals"
        );

        let csv = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/purchases.csv"
        ))
        .unwrap();
        let result = app
            .purchases_csv(&buyer, csv)
            .expect_status(StatusCode::OK)
            .await;
        assert_eq!(result["created"], 15);
    }
}

/// The demo purchaser's traced purchases: gold from ASM and LSM mines through a concentrator,
/// an uncertified smelter and a refinery; tin from a CAHRA mine with recycled scrap through a
/// smelter whose certificate is suspended. Their red flags are there to find.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_chains_trace_to_mines_and_raise_flags() {
    use oretrace::demo::provenance::{GOLD_PURCHASE, TIN_PURCHASE};
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((app, buyer)) = seeded_app(backend).await else {
            continue;
        };
        let gold = app
            .items(
                &buyer,
                &format!("/v1/purchases?external_ref={GOLD_PURCHASE}"),
            )
            .await;
        let trace = app.trace_purchase(&buyer, &gold[0].id()).await;
        assert_eq!(trace["origins"].as_array().unwrap().len(), 3, "{trace}");
        assert_eq!(trace["depth"], 3);
        assert_eq!(trace["summary"]["mines"]["share"]["value"], "1.000000");
        let scales: Vec<&str> = trace["origins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["mining_scale"].as_str().unwrap())
            .collect();
        assert!(
            scales.contains(&"asm") && scales.contains(&"lsm"),
            "{scales:?}"
        );
        let kinds = |t: &Value| -> Vec<String> {
            t["red_flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["kind"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(kinds(&trace), ["smelter_not_conformant"], "{trace}");

        let tin = app
            .items(
                &buyer,
                &format!("/v1/purchases?external_ref={TIN_PURCHASE}"),
            )
            .await;
        let trace = app.trace_purchase(&buyer, &tin[0].id()).await;
        let tin_kinds = kinds(&trace);
        for kind in [
            "cahra_origin",
            "uncertified_asm_origin",
            "smelter_not_conformant",
        ] {
            assert!(tin_kinds.contains(&kind.to_owned()), "{kind}: {trace}");
        }
        assert_ne!(trace["summary"]["recycled"]["quantity_mg"], 0);

        let flags = app.items(&buyer, "/v1/red-flags?limit=500").await;
        assert!(flags.len() >= 4, "{flags:?}");
    }
}
