//! Benchmark: batch ingestion and sourcing-mix latency at scale, through the real HTTP stack,
//! beside the plain database baselines (PostgreSQL `COPY`, a plain SQL `GROUP BY`).
//!
//! `cargo bench --bench sourcing_mix` — see bench/README.md for the knobs and
//! docs/PERFORMANCE.md for recorded results.

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use oretrace::db::Backend;
use serde_json::json;

use common::{Bench, Rng, median, ms};

const SUPPLIERS: usize = 50;
const FACILITIES_PER_SUPPLIER: usize = 4;
const BATCH_ROWS: usize = 50_000;

struct Env {
    purchases: usize,
    backends: Vec<Backend>,
    runs: usize,
}

fn env() -> Env {
    let purchases = std::env::var("BENCH_PURCHASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let backends = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("sqlite") => vec![Backend::Sqlite],
        Ok("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Postgres, Backend::Sqlite],
    };
    let runs = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    Env {
        purchases,
        backends,
        runs,
    }
}

/// Suppliers, each sourcing from a few mines (ASM and LSM, certified or not) and a recycler.
async fn catalog(bench: &Bench, rng: &mut Rng) -> Vec<(String, Vec<String>)> {
    let countries = ["PE", "CO", "GH", "CD", "BO", "ID", "AU", "CL"];
    let mut suppliers = Vec::new();
    for s in 0..SUPPLIERS {
        let party = bench
            .post(
                &bench.operator_token,
                "/v1/parties",
                &json!({"name": format!("Supplier {s}"), "roles": ["supplier"], "country": "CH"}),
            )
            .await;
        let mut facilities = Vec::new();
        for f in 0..FACILITIES_PER_SUPPLIER {
            let scale = if f % 2 == 0 { "asm" } else { "lsm" };
            let facility = bench
                .post(&bench.operator_token, "/v1/facilities", &json!({
                    "name": format!("Mine {s}-{f}"), "kind": "mine", "mining_scale": scale,
                    "minerals": ["gold", "tin"], "country": countries[rng.below(countries.len())],
                }))
                .await;
            let id = facility["id"].as_str().unwrap().to_owned();
            if rng.below(3) > 0 {
                let (scheme, level) = if scale == "asm" {
                    ("fairmined", "fairmined")
                } else {
                    (
                        ["irma", "irma", "irma"][0],
                        ["transparency", "irma_50", "irma_75"][rng.below(3)],
                    )
                };
                let cert = bench
                    .post(&bench.operator_token, "/v1/certifications", &json!({
                        "subject": {"type": "facility", "id": id}, "scheme": scheme, "level": level,
                        "status": "active", "valid_from": "2024-01-01", "valid_until": "2027-12-31",
                        "minerals": ["gold"],
                    }))
                    .await;
                if rng.below(4) == 0 {
                    let cert_id = cert["id"].as_str().unwrap();
                    let response = bench
                        .http
                        .patch(format!("{}/v1/certifications/{cert_id}", bench.base))
                        .bearer_auth(&bench.operator_token)
                        .json(&json!({"status": "suspended", "effective_on": format!("2026-{:02}-01", 1 + rng.below(12)), "reason": "bench"}))
                        .send()
                        .await
                        .unwrap();
                    assert!(response.status().is_success());
                }
            }
            facilities.push(id);
        }
        suppliers.push((party["id"].as_str().unwrap().to_owned(), facilities));
    }
    suppliers
}

fn csv_batch(
    suppliers: &[(String, Vec<String>)],
    rng: &mut Rng,
    start: usize,
    rows: usize,
) -> String {
    let mut out = String::with_capacity(rows * 180);
    out.push_str("external_ref,supplier_party_id,mineral,quantity_value,quantity_unit,purchased_on,declared_origin\n");
    for i in start..start + rows {
        let (supplier, facilities) = &suppliers[rng.below(suppliers.len())];
        let day = 1 + rng.below(28);
        let month = 1 + rng.below(12);
        let kg = 1 + rng.below(500);
        let origin = match rng.below(5) {
            0 => String::new(),
            1 => format!("facility:{}=1", facilities[rng.below(facilities.len())]),
            2 => format!(
                "facility:{}=0.6;recycled=0.4",
                facilities[rng.below(facilities.len())]
            ),
            3 => format!(
                "facility:{}=0.5;facility:{}=0.25;asm:PE=0.25",
                facilities[0], facilities[1]
            ),
            _ => "lsm:AU=0.7;recycled=0.3".to_owned(),
        };
        let mineral = if rng.below(4) == 0 { "tin" } else { "gold" };
        let _ = writeln!(
            out,
            "BENCH-{i},{supplier},{mineral},{kg}.25,kg,2026-{month:02}-{day:02},{origin}"
        );
    }
    out
}

/// The year every mix but one asks for.
const YEAR: (&str, &str) = ("2026-01-01", "2026-12-31");

/// A period with partial months at both edges (19 and 20 days in the daily rollup).
const EDGES: (&str, &str) = ("2026-02-10", "2026-11-20");

/// Every `group_by` the mix takes alone, and the two-dimension one the dashboard uses. The
/// summary table reads the ungrouped (0), `month` (4) and `supplier,month` (5) ones.
const GROUPINGS: [&str; 6] = [
    "",
    "mineral",
    "country",
    "supplier",
    "month",
    "supplier,month",
];

async fn timed_get(bench: &Bench, path: &str, runs: usize) -> Duration {
    let mut samples = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let response = bench
            .http
            .get(format!("{}{path}", bench.base))
            .bearer_auth(&bench.buyer_token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let _ = response.bytes().await.unwrap();
        samples.push(started.elapsed());
    }
    median(samples)
}

/// The plain SQL the mix rests on, timed in the database: a GROUP BY over the same rows (the
/// lines purchased from `from` to `to`).
fn plain_group_by(bench: &Bench, (from, to): (&str, &str), runs: usize) -> Duration {
    let mut conn = bench.conn();
    let sql = format!(
        "SELECT origin_class, CAST(SUM(quantity_mg) AS BIGINT) FROM purchase_origins \
         WHERE organisation_id = '{}' AND purchased_on >= '{from}' AND purchased_on <= '{to}' \
         GROUP BY origin_class",
        bench.buyer
    );
    let mut samples = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        diesel::sql_query(&sql).execute(&mut conn).unwrap();
        samples.push(started.elapsed());
    }
    median(samples)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

/// The supply sweep's read of the organisation's suppliers and declared facilities (what its
/// certificate watch looks at, `certification_state::supply`), beside the plain `SELECT
/// DISTINCT` of the same ids over every purchase and origin row; both medians of `runs`.
fn sweep_supply(bench: &Bench, runs: usize) -> (Duration, Duration) {
    let mut conn = bench.conn();
    let organisation = bench.buyer;
    let distinct = |column: &str, table: &str| {
        format!(
            "SELECT DISTINCT {column} AS id FROM {table} WHERE organisation_id = '{}' \
             AND {column} IS NOT NULL",
            bench.buyer
        )
    };
    let statements = [
        distinct("facility_id", "purchase_origins"),
        distinct("supplier_party_id", "purchases"),
    ];
    let (mut read, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let started = Instant::now();
        let (facilities, parties) =
            oretrace::store::webhook::certification_state::supply(&mut conn, organisation).unwrap();
        read.push(started.elapsed());
        let started = Instant::now();
        let mut same: Vec<Vec<String>> = statements
            .iter()
            .map(|statement| {
                diesel::sql_query(statement)
                    .load::<Id>(&mut conn)
                    .unwrap()
                    .into_iter()
                    .map(|row| row.id)
                    .collect()
            })
            .collect();
        plain.push(started.elapsed());
        // The same answer (the bench's organisation records no custody events).
        for ids in &mut same {
            ids.sort();
        }
        assert_eq!(same, [facilities, parties]);
    }
    (median(read), median(plain))
}

/// The columns the COPY reference writes, named so that columns added to `purchases` later
/// (with defaults, such as `quantity_uozt`) do not break it.
const COPY_COLUMNS: &str = "organisation_id, id, external_ref, supplier_party_id, mineral, \
     quantity_mg, quantity_value, quantity_unit, purchased_on, lot_id, content_hash, created_at, \
     updated_at";

/// PostgreSQL `COPY` of the same number of purchase rows into a table shaped like `purchases`
/// (same primary key, unique key and indexes), through psql.
fn postgres_copy(bench: &Bench, rows: usize) -> Option<Duration> {
    let dir = tempfile::tempdir().ok()?;
    let file = dir.path().join("copy.csv");
    let mut text = String::with_capacity(rows * 160);
    for i in 0..rows {
        let _ = writeln!(
            text,
            "{},{},COPY-{i},{},gold,1250000,1.25,kg,2026-03-14,,hash,2026-11-28 00:00:00,2026-11-28 00:00:00",
            bench.buyer,
            uuid::Uuid::now_v7(),
            uuid::Uuid::nil()
        );
    }
    std::fs::write(&file, text).ok()?;
    let url = &bench.database_url;
    let setup = "DROP TABLE IF EXISTS copy_target; CREATE TABLE copy_target (LIKE purchases INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);";
    let status = std::process::Command::new("psql")
        .args([url.as_str(), "-qc", setup])
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let started = Instant::now();
    let status = std::process::Command::new("psql")
        .args([
            url.as_str(),
            "-qc",
            &format!(
                "\\copy copy_target ({COPY_COLUMNS}) FROM '{}' WITH (FORMAT csv)",
                file.display()
            ),
        ])
        .status()
        .ok()?;
    let elapsed = started.elapsed();
    status.success().then_some(elapsed)
}

#[tokio::main]
async fn main() {
    let env = env();
    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n| backend | purchase lines | ingestion (HTTP batch, CSV; × COPY) | PostgreSQL COPY, same rows | mix, year (× GROUP BY) | mix, by month (×) | mix, by supplier and month (×) | plain SQL GROUP BY (reference) |"
    );
    let _ = writeln!(report, "|---|---|---|---|---|---|---|---|");
    let mut groupings = String::from(
        "\n| backend | purchase lines | group_by | mix, p50 (× plain GROUP BY of the same run) |\n|---|---|---|---|\n",
    );
    let mut sweeps = String::from(
        "\n| backend | purchase lines | supply sweeps after ingestion, waited | the sweep's supply read (× DISTINCT) | plain SELECT DISTINCT of suppliers and facilities (reference) |\n|---|---|---|---|---|\n",
    );
    for backend in env.backends {
        let dir = tempfile::tempdir().unwrap();
        let database = common::database_name("oretrace_bench");
        let (bench, handle) = common::start(
            backend,
            dir.path(),
            &database,
            "catalog:read purchases:read purchases:write",
        )
        .await;
        let mut rng = Rng(0x5eed_0f0e_7ace);
        eprintln!("[{backend}] catalog…");
        let suppliers = catalog(&bench, &mut rng).await;
        eprintln!("[{backend}] ingesting {} lines…", env.purchases);
        let mut ingest = Duration::ZERO;
        let mut done = 0;
        while done < env.purchases {
            let rows = BATCH_ROWS.min(env.purchases - done);
            let body = csv_batch(&suppliers, &mut rng, done, rows);
            let started = Instant::now();
            let response = bench
                .http
                .post(format!("{}/v1/purchases/batch", bench.base))
                .bearer_auth(&bench.buyer_token)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(status.is_success(), "batch: {status} {text}");
            ingest += started.elapsed();
            done += rows;
            eprintln!(
                "  {done} lines, {:.0} lines/s",
                done as f64 / ingest.as_secs_f64()
            );
        }
        if backend == Backend::Postgres {
            // Fresh statistics, as autovacuum would give a table this size soon after loading.
            let mut conn = PgConnection::establish(&bench.database_url).unwrap();
            conn.batch_execute("ANALYZE").unwrap();
        }
        let lines_per_s = env.purchases as f64 / ingest.as_secs_f64();
        // Ingestion and COPY in rows per second, and their ratio (the target is ≥ 0.5).
        let (ingestion, copy) = if backend == Backend::Postgres {
            match postgres_copy(&bench, env.purchases.min(BATCH_ROWS * 4)) {
                Some(d) => {
                    let copy_per_s = env.purchases.min(BATCH_ROWS * 4) as f64 / d.as_secs_f64();
                    (
                        format!(
                            "{lines_per_s:.0} lines/s ({:.2}× COPY)",
                            lines_per_s / copy_per_s
                        ),
                        format!("{copy_per_s:.0} rows/s"),
                    )
                }
                None => (
                    format!("{lines_per_s:.0} lines/s"),
                    "psql unavailable".into(),
                ),
            }
        } else {
            (format!("{lines_per_s:.0} lines/s"), "n/a".into())
        };
        let waited = common::settle(&bench).await;
        eprintln!(
            "[{backend}] the service's supply sweeps done after {:.1} s more",
            waited.as_secs_f64()
        );
        eprintln!("[{backend}] timing the mix…");
        let mut mixes = Vec::new();
        for grouping in GROUPINGS {
            let path = match grouping {
                "" => "/v1/sourcing-mix?from=2026-01-01&to=2026-12-31".to_owned(),
                g => format!("/v1/sourcing-mix?from=2026-01-01&to=2026-12-31&group_by={g}"),
            };
            mixes.push((grouping, timed_get(&bench, &path, env.runs).await));
        }
        let plain = plain_group_by(&bench, YEAR, env.runs);
        let (supply, distinct) = sweep_supply(&bench, env.runs);
        let _ = writeln!(
            sweeps,
            "| {backend} | {} | {:.1} s | {} ({:.3}×) | {} |",
            env.purchases,
            waited.as_secs_f64(),
            ms(supply),
            supply.as_secs_f64() / distinct.as_secs_f64(),
            ms(distinct),
        );
        // Each mix beside the plain GROUP BY of the same run (the target is ≤ 0.25×).
        let versus = |mix: Duration| {
            format!(
                "{} ({:.2}×)",
                ms(mix),
                mix.as_secs_f64() / plain.as_secs_f64()
            )
        };
        let _ = writeln!(
            report,
            "| {backend} | {} | {ingestion} | {copy} | {} | {} | {} | {} |",
            env.purchases,
            versus(mixes[0].1),
            versus(mixes[4].1),
            versus(mixes[5].1),
            ms(plain),
        );
        for (grouping, mix) in &mixes {
            let _ = writeln!(
                groupings,
                "| {backend} | {} | {} | {} |",
                env.purchases,
                if grouping.is_empty() {
                    "(none)"
                } else {
                    grouping
                },
                versus(*mix),
            );
        }
        // A period that is not whole months: its edges come from the daily rollup.
        let (from, to) = EDGES;
        let edges = timed_get(
            &bench,
            &format!("/v1/sourcing-mix?from={from}&to={to}"),
            env.runs,
        )
        .await;
        let edges_plain = plain_group_by(&bench, EDGES, env.runs);
        let _ = writeln!(
            groupings,
            "| {backend} | {} | (none), {from} to {to} | {} ({:.2}× the plain GROUP BY of that period, {}) |",
            env.purchases,
            ms(edges),
            edges.as_secs_f64() / edges_plain.as_secs_f64(),
            ms(edges_plain),
        );
        drop(handle.stop(false));
        if std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1") {
            eprintln!("[{backend}] kept: {}", bench.database_url);
            std::mem::forget(dir);
            continue;
        }
        if backend == Backend::Postgres {
            common::drop_database(&database);
        }
    }
    println!("{report}{groupings}{sweeps}");
}
