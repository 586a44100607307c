//! Supplier declarations (issue 14), each beside a reference run in the same process:
//!
//! 1. Import: a CMRT whose Smelter List is full (`BENCH_ROWS`, default 2,500: the template's
//!    last row) posted to `POST /v1/declarations` (read, checked, matched nowhere yet, stored,
//!    audited), beside the least work that reads the same cells: calamine opening the same
//!    bytes and walking the same sheets.
//! 2. Roll-up: `BENCH_SUPPLIERS` suppliers (default 200) with a current declaration of
//!    `BENCH_SUPPLIER_ROWS` smelters each (default 50, drawn from 400 CIDs, a quarter of which
//!    the catalog holds), `GET /v1/declarations/smelters`, beside the least work that gives
//!    each smelter once with its suppliers: one query for the current declarations' bodies,
//!    parsed, grouped by CID in memory.
//!
//!   cargo bench --bench declarations                 # PostgreSQL, then SQLite
//!   BENCH_BACKEND=sqlite BENCH_SUPPLIERS=50 cargo bench --bench declarations

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Reader, open_workbook_auto_from_rs};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{Value, json};

use oretrace::app::declarations::xlsx_writer;
use oretrace::db::Backend;
use oretrace::domain::country::CountryCode;
use oretrace::domain::declaration::layout::cmrt6;
use oretrace::domain::declaration::{
    Company, Declaration, DeclarationScope, MineralAnswer, SmelterRow, Template,
};
use oretrace::domain::vocabulary::Mineral;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

const METALS: [Mineral; 4] = [
    Mineral::Tantalum,
    Mineral::Tin,
    Mineral::Gold,
    Mineral::Tungsten,
];

/// A filled CMRT 6.5 of `rows` smelters, effective on `date`, its CIDs drawn by `rng`.
fn workbook(company: &str, date: NaiveDate, rows: usize, rng: &mut common::Rng) -> Vec<u8> {
    let map = cmrt6("6.5");
    let mut answers = Vec::new();
    for block in &map.questions {
        for metal in METALS {
            let answer = match block.topic {
                oretrace::domain::declaration::Topic::SuppliersResponded => "100%",
                oretrace::domain::declaration::Topic::CoveredCountries
                | oretrace::domain::declaration::Topic::Cahra
                | oretrace::domain::declaration::Topic::RecycledOrScrap => "No",
                _ => "Yes",
            };
            answers.push(MineralAnswer {
                question: block.number.clone(),
                topic: block.topic,
                mineral: metal,
                answer: Some(answer.to_owned()),
                comment: None,
                cell: String::new(),
            });
        }
    }
    let smelters = (0..rows)
        .map(|_| {
            let n = rng.below(400);
            SmelterRow {
                metal: Some(METALS[n % 4]),
                name: Some(format!("Bench smelter {n}")),
                country: Some("INDONESIA".to_owned()),
                country_code: CountryCode::from_name("INDONESIA"),
                cid: Some(format!("CID{:06}", 800_000 + n)),
                cid_source: Some("RMI".to_owned()),
                recycled: Some("No".to_owned()),
                identified: true,
                ..SmelterRow::default()
            }
        })
        .collect();
    let declaration = Declaration {
        template: Template::Cmrt,
        version: "6.5".to_owned(),
        company: Company {
            name: company.to_owned(),
            scope: Some(DeclarationScope::Company),
            contact_name: Some("Bench".into()),
            contact_email: Some("bench@example.com".into()),
            contact_phone: Some("+1".into()),
            authorizer: Some("Bench".into()),
            authorizer_email: Some("bench@example.com".into()),
            effective_date: Some(date),
            ..Company::default()
        },
        minerals: METALS.to_vec(),
        answers,
        company_answers: Vec::new(),
        smelters,
        products: Vec::new(),
    };
    xlsx_writer::write(&declaration).expect("write")
}

/// The reference read: calamine opens the bytes and walks the sheets Oretrace reads.
fn calamine_cells(bytes: &[u8]) -> usize {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).expect("open");
    let mut cells = 0;
    for sheet in ["Declaration", "Smelter List", "Product List", "Revision"] {
        if let Ok(range) = book.worksheet_range(sheet) {
            cells += range.used_cells().count();
        }
    }
    cells
}

async fn import(bench: &common::Bench, supplier: &str, bytes: Vec<u8>) -> Duration {
    let started = Instant::now();
    let response = bench
        .http
        .post(format!(
            "{}/v1/declarations?supplier_party_id={supplier}",
            bench.base
        ))
        .bearer_auth(&bench.buyer_token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("import");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "import: {status} {text}");
    started.elapsed()
}

async fn run(backend: Backend) {
    let rows = env_usize("BENCH_ROWS", 2_500);
    let suppliers = env_usize("BENCH_SUPPLIERS", 200);
    let supplier_rows = env_usize("BENCH_SUPPLIER_ROWS", 50);
    let dir = tempfile::tempdir().unwrap();
    let database = common::database_name("oretrace_bench_declarations");
    let (bench, handle) = common::start(
        backend,
        dir.path(),
        &database,
        "purchases:read purchases:write",
    )
    .await;
    // The catalog: a quarter of the CIDs are smelters Oretrace knows.
    for n in (0..400).step_by(4) {
        bench
            .post(
                &bench.operator_token,
                "/v1/facilities",
                &json!({"name": format!("Bench smelter {n}"), "kind": "smelter",
                        "minerals": ["tin"], "country": "ID",
                        "identifiers": [{"scheme": "rmi_cid", "value": format!("CID{:06}", 800_000 + n)}]}),
            )
            .await;
    }
    let mut party_ids = Vec::new();
    for i in 0..suppliers.max(1) {
        let party = bench
            .post(
                &bench.operator_token,
                "/v1/parties",
                &json!({"name": format!("Bench supplier {i}"), "roles": ["supplier"], "country": "DE"}),
            )
            .await;
        party_ids.push(party["id"].as_str().unwrap().to_owned());
    }
    let mut rng = common::Rng(0x5eed_d3c1);

    // 1. Import of a full Smelter List, 5 times (each a newer declaration of one supplier).
    let mut reference = Vec::new();
    let mut oretrace = Vec::new();
    for i in 0..5u32 {
        let date = NaiveDate::from_ymd_opt(2026, 1, 1 + i).unwrap();
        let bytes = workbook("Bench supplier 0", date, rows, &mut rng);
        let started = Instant::now();
        let cells = calamine_cells(&bytes);
        reference.push(started.elapsed());
        assert!(cells > rows);
        oretrace.push(import(&bench, &party_ids[0], bytes).await);
    }
    let (reference, oretrace) = (common::median(reference), common::median(oretrace));
    println!(
        "{backend:?}: import of a CMRT with {rows} smelter rows: Oretrace {} (HTTP, checked, \
         stored, audited), calamine reading the same cells {}: ratio {:.2}",
        common::ms(oretrace),
        common::ms(reference),
        oretrace.as_secs_f64() / reference.as_secs_f64()
    );

    // 2. The roll-up across suppliers.
    let started = Instant::now();
    for (i, party) in party_ids.iter().enumerate().skip(1) {
        let bytes = workbook(
            &format!("Bench supplier {i}"),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            supplier_rows,
            &mut rng,
        );
        import(&bench, party, bytes).await;
    }
    let loading = started.elapsed();
    let mut reference = Vec::new();
    let mut oretrace = Vec::new();
    let mut conn = bench.conn();
    let buyer = bench.buyer.to_string();
    let mut smelters = 0;
    for _ in 0..5 {
        let started = Instant::now();
        #[derive(QueryableByName)]
        struct Body {
            #[diesel(sql_type = Text)]
            body: String,
            #[diesel(sql_type = Text)]
            supplier_party_id: String,
        }
        let bodies: Vec<Body> = diesel::sql_query(
            "SELECT body, supplier_party_id FROM declarations \
             WHERE organisation_id = $1 AND superseded_by IS NULL",
        )
        .bind::<Text, _>(&buyer)
        .load(&mut conn)
        .expect("bodies");
        let mut by_cid: HashMap<String, HashSet<String>> = HashMap::new();
        for b in bodies {
            let v: Value = serde_json::from_str(&b.body).unwrap();
            for s in v["smelters"].as_array().unwrap() {
                if let Some(cid) = s["cid"].as_str() {
                    by_cid
                        .entry(cid.to_owned())
                        .or_default()
                        .insert(b.supplier_party_id.clone());
                }
            }
        }
        reference.push(started.elapsed());
        smelters = by_cid.len();

        let started = Instant::now();
        let response = bench
            .http
            .get(format!("{}/v1/declarations/smelters", bench.base))
            .bearer_auth(&bench.buyer_token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        let body: Value = response.json().await.unwrap();
        oretrace.push(started.elapsed());
        assert_eq!(body["smelters"].as_array().unwrap().len(), smelters);
    }
    let (reference, oretrace) = (common::median(reference), common::median(oretrace));
    println!(
        "{backend:?}: roll-up of {suppliers} suppliers x {supplier_rows} rows ({smelters} \
         smelters; {} to import them): Oretrace {} (HTTP, matched, judged under the policy, \
         flagged), the bodies read and grouped by CID {}: ratio {:.2}",
        common::ms(loading),
        common::ms(oretrace),
        common::ms(reference),
        oretrace.as_secs_f64() / reference.as_secs_f64()
    );
    handle.stop(true).await;
    if backend == Backend::Postgres {
        common::drop_database(&database);
    }
}

#[tokio::main]
async fn main() {
    let backends = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => vec![Backend::Postgres],
        Ok("sqlite") => vec![Backend::Sqlite],
        _ => vec![Backend::Postgres, Backend::Sqlite],
    };
    for backend in backends {
        run(backend).await;
    }
}
