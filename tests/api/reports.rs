//! The annual due-diligence report (issue 12, part 2; docs/REPORTS.md), on both backends,
//! through HTTP, over the demo's year: every part of the report equals what its route answers
//! for the same period (the mix overall, per month and per country; the policy and the
//! profile; the declarations' coverage; each red flag with its case; each smelter's
//! certificates on 1 January, 31 December and around each change), also for one mineral; the
//! HTML page is self-contained under a strict policy; refused parameters, scopes and another
//! organisation.

use chrono::{Datelike, Days, NaiveDate};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::demo::seeded_app;
use crate::helpers::{Backend, Client, Expect, HasId, TestApp, assert_problem, send_raw};

/// The calendar year of the demo's traced purchases (60 days before today).
fn demo_year() -> i32 {
    chrono::Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(60))
        .unwrap()
        .year()
}

/// Every item of a list read by `client`, following `next_cursor`.
async fn every_item(app: &TestApp, client: &Client, path: &str) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{separator}limit=500");
    let mut items = Vec::new();
    loop {
        let page = app.get(&url, client).expect_status(StatusCode::OK).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}{separator}limit=500&cursor={cursor}"),
            None => return items,
        }
    }
}

async fn report(app: &TestApp, client: &Client, query: &str) -> Value {
    app.get(&format!("/v1/reports/due-diligence?{query}"), client)
        .expect_status(StatusCode::OK)
        .await
}

/// The standing of certificate `id` among a facility's certificates on `day`.
async fn standing_on(
    app: &TestApp,
    client: &Client,
    facility: &str,
    id: &str,
    day: NaiveDate,
) -> Value {
    let list = every_item(
        app,
        client,
        &format!("/v1/facilities/{facility}/certifications?as_of={day}"),
    )
    .await;
    let found = list
        .iter()
        .find(|s| s["certification"]["id"] == id)
        .unwrap_or_else(|| panic!("certificate {id} of {facility} on {day}"));
    found["effective_status"].clone()
}

/// Checks each part of `report` against its route for the same period and mineral.
async fn equals_its_routes(app: &TestApp, buyer: &Client, report: &Value, mineral: Option<&str>) {
    let (from, to) = (
        report["from"].as_str().unwrap(),
        report["to"].as_str().unwrap(),
    );
    let scope = match mineral {
        Some(m) => format!("from={from}&to={to}&mineral={m}"),
        None => format!("from={from}&to={to}"),
    };
    for (part, group_by) in [
        ("mix", ""),
        ("mix_by_month", "&group_by=month"),
        ("mix_by_country", "&group_by=country"),
    ] {
        let answer = app
            .get(&format!("/v1/sourcing-mix?{scope}{group_by}"), buyer)
            .expect_status(StatusCode::OK)
            .await;
        assert_eq!(
            report[part], answer,
            "{part} differs from GET /v1/sourcing-mix"
        );
    }
    let policy = app
        .get("/v1/policy", buyer)
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(report["policy"], policy);
    let profile = app
        .get(
            &format!("/v1/organisations/{}/profile", buyer.org_id),
            buyer,
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(report["organisation"]["profile"], profile);
    assert_eq!(report["organisation"]["id"], buyer.org_id.as_str());
    let coverage = app
        .get(
            &format!("/v1/declarations/coverage?from={from}&to={to}"),
            buyer,
        )
        .expect_status(StatusCode::OK)
        .await;
    assert_eq!(report["declarations"], coverage);

    // Red flags: those raised now, in the list's order, then those whose cause is gone; each
    // as `GET /v1/red-flags/{id}` reads it.
    let listed = every_item(app, buyer, &format!("/v1/red-flags?{scope}")).await;
    let flags = report["red_flags"].as_array().unwrap();
    let raised: Vec<&Value> = flags.iter().filter(|f| f["raised"] == true).collect();
    assert_eq!(
        raised.iter().map(|f| f.id()).collect::<Vec<_>>(),
        listed.iter().map(|f| f.id()).collect::<Vec<_>>(),
        "the raised flags are the list's"
    );
    for flag in flags {
        let one = app
            .get(&format!("/v1/red-flags/{}", flag.id()), buyer)
            .expect_status(StatusCode::OK)
            .await;
        assert_eq!(
            flag,
            &one,
            "flag {} differs from GET /v1/red-flags/{{id}}",
            flag.id()
        );
    }

    // Smelters: every smelter the roll-up names is there, with its supplier count; each
    // certificate's standing on 1 January, 31 December and on both sides of each change is
    // the as-of route's.
    let first = NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
    let last = NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
    let smelters = report["smelters"].as_array().unwrap();
    let metal = mineral.map(|m| format!("?metal={m}")).unwrap_or_default();
    let rollup = app
        .get(&format!("/v1/declarations/smelters{metal}"), buyer)
        .expect_status(StatusCode::OK)
        .await;
    for rolled in rollup["smelters"].as_array().unwrap() {
        let found = smelters
            .iter()
            .find(|s| s["name"] == rolled["name"] && s["country"] == rolled["country"])
            .unwrap_or_else(|| panic!("the roll-up's {} is in the report", rolled["name"]));
        assert_eq!(found["declared_by"], rolled["supplier_count"]);
    }
    for smelter in smelters {
        let Some(facility) = smelter["facility_id"].as_str() else {
            continue;
        };
        for c in smelter["certifications"].as_array().unwrap() {
            let id = c["certification_id"].as_str().unwrap();
            assert_eq!(
                c["status_at_start"],
                standing_on(app, buyer, facility, id, first).await
            );
            assert_eq!(
                c["status_at_end"],
                standing_on(app, buyer, facility, id, last).await
            );
            for change in c["changes"].as_array().unwrap() {
                let on =
                    NaiveDate::parse_from_str(change["on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
                assert_eq!(
                    change["status"],
                    standing_on(app, buyer, facility, id, on).await
                );
                let before = on.pred_opt().unwrap();
                assert_ne!(
                    change["status"],
                    standing_on(app, buyer, facility, id, before).await
                );
            }
        }
    }
}

async fn the_report_is_what_the_routes_answer(backend: Backend) {
    let Some((app, buyer)) = seeded_app(backend).await else {
        return;
    };
    let year = demo_year();
    // Work two of the demo's flags, so that the report carries steps and outcomes.
    let flags = every_item(&app, &buyer, "/v1/red-flags").await;
    assert!(flags.len() >= 2, "the demo raises flags");
    for (flag, status) in flags.iter().zip(["mitigating", "escalated"]) {
        app.patch(
            &format!("/v1/red-flags/{}", flag.id()),
            &buyer,
            &json!({"status": status, "assignee": "Ana Quispe", "note": "Asked the supplier for its smelter's audit."}),
        )
        .expect_status(StatusCode::OK)
        .await;
    }

    let whole = report(&app, &buyer, &format!("year={year}")).await;
    assert_eq!(whole["year"], year);
    assert_eq!(whole["from"], format!("{year}-01-01"));
    assert_eq!(whole["to"], format!("{year}-12-31"));
    assert_eq!(whole["mineral"], Value::Null);
    assert!(
        whole["mix"]["overall"]["total_mg"].as_i64().unwrap() > 0,
        "the demo's year has purchases"
    );
    let smelters = whole["smelters"].as_array().unwrap();
    assert!(
        smelters.iter().any(|s| s["traced"] == true),
        "the demo's chains pass through smelters: {smelters:?}"
    );
    assert!(
        smelters.iter().any(|s| s["certifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status_at_end"] == "suspended")),
        "the demo's suspended tin smelter"
    );
    let worked: Vec<&Value> = whole["red_flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["case"]["status"] == "mitigating" || f["case"]["status"] == "escalated")
        .collect();
    assert_eq!(worked.len(), 2);
    assert!(
        worked
            .iter()
            .all(|f| !f["entries"].as_array().unwrap().is_empty())
    );
    equals_its_routes(&app, &buyer, &whole, None).await;

    let gold = report(&app, &buyer, &format!("year={year}&mineral=gold")).await;
    assert_eq!(gold["mineral"], "gold");
    assert!(
        gold["red_flags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["mineral"] == "gold"),
        "only gold purchases' flags"
    );
    equals_its_routes(&app, &buyer, &gold, Some("gold")).await;

    // A year without purchases is a report of nothing, not an error.
    let empty = report(&app, &buyer, "year=2001").await;
    assert_eq!(empty["mix"]["overall"]["total_mg"], 0);
    assert_eq!(empty["red_flags"], json!([]));

    // The HTML page: the same report, self-contained, under a policy that allows its own style
    // sheet and nothing else.
    let page = send_raw(
        app.get(&format!("/v1/reports/due-diligence?year={year}"), &buyer)
            .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8"),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in [
        "<script", "<link", "<img", "<iframe", "@import", "src=", "href=",
    ] {
        assert!(
            !html.contains(external),
            "the page loads nothing: found {external}"
        );
    }
    for (at, _) in html.match_indices("url(") {
        assert!(
            html[at..].starts_with("url(#"),
            "only references inside the page: {}",
            &html[at..at + 40]
        );
    }
    assert!(
        html.contains("<svg"),
        "the mix per month is drawn in the page"
    );
    for part in [
        "Company management system",
        "Sourcing mix and targets",
        "Smelters and refiners",
        "Risks identified",
        "declarations",
        "Ana Quispe",
        "suspended",
    ] {
        assert!(html.contains(part), "the page shows {part}");
    }
    // What a value says is escaped, never markup.
    app.patch(
        &format!("/v1/organisations/{}/profile", buyer.org_id),
        &buyer,
        &json!({"contact_name": "<b>Ana</b> & co"}),
    )
    .expect_status(StatusCode::OK)
    .await;
    let html = send_raw(
        app.get(&format!("/v1/reports/due-diligence?year={year}"), &buyer)
            .header(ACCEPT, "text/html"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("&lt;b&gt;Ana&lt;/b&gt; &amp; co"));
}

async fn bad_parameters_scopes_and_other_organisations(backend: Backend) {
    let Some((app, buyer)) = seeded_app(backend).await else {
        return;
    };
    let year = demo_year();
    for query in [
        "year=1999",
        "year=2101",
        "year=twenty",
        "year=2026.5",
        "mineral=unobtainium",
        "yaer=2026",
        "year=2026&year=2025",
    ] {
        let problem = app
            .get(&format!("/v1/reports/due-diligence?{query}"), &buyer)
            .expect_problem(400)
            .await;
        assert!(problem["detail"].is_string(), "{query}: {problem}");
    }
    app.get("/v1/reports/due-diligence", &buyer)
        .header(ACCEPT, "image/png")
        .expect_problem(406)
        .await;

    // Both scopes are needed.
    for scopes in [
        &["purchases:read"][..],
        &["provenance:read"][..],
        &["catalog:read"][..],
    ] {
        let narrow = app.client_of(&buyer.org_id, "narrow", scopes).await;
        app.get(&format!("/v1/reports/due-diligence?year={year}"), &narrow)
            .expect_problem(403)
            .await;
    }
    let anonymous = send_raw(app.http.get(app.url("/v1/reports/due-diligence"))).await;
    assert_problem(anonymous, 401).await;

    // Another organisation's report is its own: none of the demo buyer's purchases, flags,
    // smelters or suppliers.
    let other = app.purchaser("Other jeweller").await;
    let theirs = report(&app, &other, &format!("year={year}")).await;
    assert_eq!(theirs["organisation"]["id"], other.org_id.as_str());
    assert_eq!(theirs["mix"]["overall"]["total_mg"], 0);
    assert_eq!(theirs["red_flags"], json!([]));
    assert_eq!(theirs["smelters"], json!([]));
    assert_eq!(theirs["declarations"]["suppliers"], json!([]));
    let html = send_raw(
        app.get(&format!("/v1/reports/due-diligence?year={year}"), &other)
            .header(ACCEPT, "text/html"),
    )
    .await
    .text()
    .await
    .unwrap();
    let demo_flags = every_item(&app, &buyer, "/v1/red-flags").await;
    for flag in demo_flags {
        assert!(!html.contains(flag["message"].as_str().unwrap()));
    }
}

crate::each_backend!(
    the_report_is_what_the_routes_answer,
    bad_parameters_scopes_and_other_organisations
);
