//! Benchmark: tracing a lot whose ancestry spans six tiers and about ten thousand lots, through
//! the real HTTP stack and in-process (the set-based graph load and the attribution apart),
//! beside the plain recursive SQL over the same data: the closure alone (how many lots it
//! reaches) and the closure with the rows a trace is built from (the least work that gives the
//! trace's answer from the database). Ratios are printed against both.
//!
//! `cargo bench --bench provenance` — see bench/README.md for the knobs and docs/PERFORMANCE.md
//! for recorded results.

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use oretrace::db::{Backend, DbConn};
use oretrace::domain::provenance::{LotQuantity, YieldTolerance, trace_many};
use oretrace::store::lot_graph::{self, MAX_DEPTH};
use oretrace::store::provenance::TraceContext;
use serde_json::{Value, json};

use common::{Bench, Rng, median, ms};

/// Lots per tier, from the traced lot (tier 0) to the ore (tier 5): 9,811 lots.
const TIERS: [usize; 6] = [1, 10, 50, 250, 1_500, 8_000];
const MINES: usize = 40;
const PLANTS: usize = 10;
const ROWS_PER_INSERT: usize = 400;

struct Env {
    backends: Vec<Backend>,
    runs: usize,
}

fn env() -> Env {
    let backends = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("sqlite") => vec![Backend::Sqlite],
        Ok("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Postgres, Backend::Sqlite],
    };
    let runs = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    Env { backends, runs }
}

async fn facility(bench: &Bench, body: Value) -> String {
    let created = bench
        .post(&bench.operator_token, "/v1/facilities", &body)
        .await;
    created["id"].as_str().unwrap().to_owned()
}

fn flush(conn: &mut DbConn, table: &str, columns: &str, rows: &mut Vec<String>) {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        conn.batch_execute(&format!(
            "INSERT INTO {table} ({columns}) VALUES {}",
            chunk.join(",")
        ))
        .unwrap();
    }
    rows.clear();
}

/// Writes the six-tier ancestry straight into the tables (what the API would write, faster):
/// each lot of tiers 0 to 4 is produced by a transformation at a plant that consumes its own
/// share of the next tier plus one lot shared with another transformation (mass balance:
/// diamonds, so a lot is reached by several paths); each lot of tier 5 is extracted at a mine.
/// Returns the traced lot's id.
fn seed_ancestry(bench: &Bench, mines: &[String], plants: &[String]) -> String {
    let mut conn = bench.conn();
    let org = bench.buyer.to_string();
    let mut rng = Rng(0x0e0e_5eed_0b3e_2026);
    let tiers: Vec<Vec<String>> = TIERS
        .iter()
        .map(|n| (0..*n).map(|_| uuid::Uuid::new_v4().to_string()).collect())
        .collect();
    let mut lots = Vec::new();
    let mut events = Vec::new();
    let mut event_lots = Vec::new();
    let now = "2026-11-28 00:00:00";
    for (tier, ids) in tiers.iter().enumerate() {
        let day = format!("2026-{:02}-01", 7 - tier);
        for (i, lot) in ids.iter().enumerate() {
            let event = uuid::Uuid::new_v4().to_string();
            lots.push(format!(
                "('{org}','{lot}','B-{tier}-{i}','gold','{}',1000000,'1','kg',NULL,0,'{event}','{now}')",
                if tier == 5 { "ore" } else { "dore" }
            ));
            if tier == 5 {
                let mine = &mines[rng.below(mines.len())];
                events.push(format!(
                    "('{org}','{event}','extraction','{day}','{mine}',NULL,NULL,NULL,'[]',NULL,'{now}')"
                ));
                event_lots.push(format!("('{org}','{event}','{lot}','output',1000000)"));
                continue;
            }
            let plant = &plants[rng.below(plants.len())];
            events.push(format!(
                "('{org}','{event}','transformation','{day}','{plant}',NULL,NULL,'mass_balance','[]',NULL,'{now}')"
            ));
            event_lots.push(format!("('{org}','{event}','{lot}','output',1000000)"));
            let below = &tiers[tier + 1];
            let share = below.len() / ids.len();
            let mut inputs: Vec<usize> = (i * share..(i + 1) * share).collect();
            let extra = rng.below(below.len());
            if !inputs.contains(&extra) {
                inputs.push(extra);
            }
            for input in inputs {
                let quantity = 100_000 + rng.below(300_000);
                event_lots.push(format!(
                    "('{org}','{event}','{}','input',{quantity})",
                    below[input]
                ));
            }
        }
    }
    flush(
        &mut conn,
        "lots",
        "organisation_id,id,external_ref,mineral,form,quantity_mg,quantity_value,quantity_unit,holder_party_id,recycled,origin_event_id,created_at",
        &mut lots,
    );
    flush(
        &mut conn,
        "custody_events",
        "organisation_id,id,event_type,occurred_on,facility_id,from_party_id,to_party_id,chain_of_custody,documents,external_ref,recorded_at",
        &mut events,
    );
    flush(
        &mut conn,
        "custody_event_lots",
        "organisation_id,event_id,lot_id,direction,quantity_mg",
        &mut event_lots,
    );
    if let DbConn::Pg(pg) = &mut conn {
        pg.batch_execute("ANALYZE").unwrap();
    }
    tiers[0][0].clone()
}

fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut samples = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        last = Some(f());
        samples.push(started.elapsed());
    }
    (median(samples), last.unwrap())
}

#[tokio::main]
async fn main() {
    let env = env();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n| backend | lots in the ancestry | GET /v1/lots/{{id}}/provenance | graph load (set-based, {} tiers) | queries | attribution | load + attribution + red flags (model) | recursive SQL, closure count (lots reached) | recursive SQL, closure and rows (rows) | route ÷ rows SQL | load ÷ rows SQL | route ÷ count SQL | load ÷ count SQL |",
        TIERS.len()
    );
    let _ = writeln!(
        report,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for backend in env.backends {
        let dir = tempfile::tempdir().unwrap();
        let database = common::database_name("oretrace_bench_prov");
        let (bench, handle) = common::start(
            backend,
            dir.path(),
            &database,
            "catalog:read provenance:read provenance:write",
        )
        .await;
        eprintln!("[{backend}] catalog…");
        let mut mines = Vec::new();
        for m in 0..MINES {
            let scale = if m % 2 == 0 { "asm" } else { "lsm" };
            mines.push(
                facility(
                    &bench,
                    json!({"name": format!("Mine {m}"), "kind": "mine", "mining_scale": scale,
                           "minerals": ["gold"], "country": "PE"}),
                )
                .await,
            );
        }
        let mut plants = Vec::new();
        for p in 0..PLANTS {
            let kind = if p % 2 == 0 { "smelter" } else { "refiner" };
            plants.push(
                facility(
                    &bench,
                    json!({"name": format!("Plant {p}"), "kind": kind, "minerals": ["gold"],
                           "country": "CH"}),
                )
                .await,
            );
        }
        eprintln!("[{backend}] seeding {} lots…", TIERS.iter().sum::<usize>());
        let root = {
            let bench_ref = &bench;
            tokio::task::block_in_place(|| seed_ancestry(bench_ref, &mines, &plants))
        };
        eprintln!("[{backend}] timing…");
        let mut samples = Vec::new();
        let mut reached = 0;
        let mut body_bytes = 0;
        for _ in 0..env.runs {
            let started = Instant::now();
            let response = bench
                .http
                .get(format!("{}/v1/lots/{root}/provenance", bench.base))
                .bearer_auth(&bench.buyer_token)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            // Timed to the last byte received; the bench's own parse of the body is not the
            // service's work.
            let bytes = response.bytes().await.unwrap();
            samples.push(started.elapsed());
            body_bytes = bytes.len();
            let body: Value = serde_json::from_slice(&bytes).unwrap();
            reached = body["graph"]["nodes"]
                .as_array()
                .map(|n| n.iter().filter(|n| n["kind"] == "lot").count())
                .unwrap_or(0);
        }
        let route = median(samples);
        let (load, loaded, attribution, model, cte, cte_lots, rows_sql, rows) =
            tokio::task::block_in_place(|| {
                let mut conn = bench.conn();
                let org = bench.buyer.to_string();
                let roots = vec![root.clone()];
                let (load, loaded) = timed(env.runs, || {
                    lot_graph::load(&mut conn, &org, &roots, MAX_DEPTH).unwrap()
                });
                let quantity = [LotQuantity::metric(root.as_str(), 1_000_000)];
                let (attribution, _) = timed(env.runs, || {
                    trace_many(&loaded.graph, &quantity, MAX_DEPTH).unwrap()
                });
                let (model, _) = timed(env.runs, || {
                    let context = TraceContext::load(&mut conn, bench.buyer, &roots).unwrap();
                    context
                        .evaluate(&quantity, None, None, YieldTolerance::NONE)
                        .unwrap()
                });
                let (cte, cte_lots) = timed(env.runs, || {
                    lot_graph::ancestry_size_by_recursive_sql(
                        &mut conn,
                        &org,
                        &root,
                        MAX_DEPTH as i32,
                    )
                    .unwrap()
                });
                let (rows_sql, rows) = timed(env.runs, || {
                    lot_graph::ancestry_rows_by_recursive_sql(
                        &mut conn,
                        &org,
                        &root,
                        MAX_DEPTH as i32,
                    )
                    .unwrap()
                    .len()
                });
                (
                    load,
                    loaded,
                    attribution,
                    model,
                    cte,
                    cte_lots,
                    rows_sql,
                    rows,
                )
            });
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        eprintln!(
            "[{backend}] {reached} lots reached; route {} ({body_bytes} bytes of JSON), load {} ({} queries), attribution {}, model {}, CTE count {} ({cte_lots} lots), CTE rows {} ({rows} rows)",
            ms(route),
            ms(load),
            loaded.queries,
            ms(attribution),
            ms(model),
            ms(cte),
            ms(rows_sql)
        );
        let _ = writeln!(
            report,
            "| {backend} | {reached} | {} | {} | {} | {} | {} | {} ({cte_lots}) | {} ({rows}) | {:.2}× | {:.2}× | {:.2}× | {:.2}× |",
            ms(route),
            ms(load),
            loaded.queries,
            ms(attribution),
            ms(model),
            ms(cte),
            ms(rows_sql),
            ratio(route, rows_sql),
            ratio(load, rows_sql),
            ratio(route, cte),
            ratio(load, cte)
        );
        handle.stop(true).await;
        if backend == Backend::Postgres {
            common::drop_database(&database);
        }
    }
    println!("{report}");
}
