//! The charts the server draws (issue 12, part 3), on both backends, over the demo: the
//! sourcing mix per month (`GET /v1/sourcing-mix`, `Accept: image/svg+xml`) and the provenance
//! flow of a lot or purchase (`GET /v1/{lots,purchases}/{id}/provenance`, same `Accept`). Each
//! is parsed as XML: a sized `<svg role="img">` labelled by its `<title>` and `<desc>`, a label
//! per series (each origin class, the certified part, each target; each source of the trace),
//! every month and every origin of the JSON answer named in text, red flags marked. Refused
//! parameters, representations nobody offers, and another organisation's trace.

use chrono::{Datelike, Days};
use oretrace::demo::provenance::{GOLD_PURCHASE, TIN_PURCHASE};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use crate::demo::seeded_app;
use crate::helpers::{Backend, Client, Expect, HasId, TestApp, send_raw};

const SVG: &str = "image/svg+xml";

async fn svg_of(app: &TestApp, client: &Client, path: &str) -> String {
    let response = send_raw(app.get(path, client).header(ACCEPT, SVG)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()[CONTENT_TYPE], SVG);
    response.text().await.unwrap()
}

/// Asserts what every chart is: well-formed, sized, an image labelled by its title and
/// description; answers the texts of its `<text>` elements.
fn checked(svg: &str) -> (roxmltree::Document<'_>, Vec<String>) {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}): {svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    for dimension in ["width", "height"] {
        let value: f64 = root.attribute(dimension).unwrap().parse().unwrap();
        assert!(value > 100.0, "{dimension} {value}");
    }
    assert_eq!(root.attribute("viewBox").unwrap().split(' ').count(), 4);
    assert_eq!(root.attribute("role"), Some("img"));
    for id in root.attribute("aria-labelledby").unwrap().split(' ') {
        let labelled = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no element {id}"));
        assert!(matches!(labelled.tag_name().name(), "title" | "desc"));
        assert!(
            labelled.text().is_some_and(|t| t.len() > 10),
            "{id} says something"
        );
    }
    let texts = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text().map(|t| t.trim().to_owned()))
        .collect();
    (doc, texts)
}

async fn the_mix_is_drawn_per_month(backend: Backend) {
    let Some((app, buyer)) = seeded_app(backend).await else {
        return;
    };
    let year = chrono::Utc::now()
        .date_naive()
        .checked_sub_days(Days::new(60))
        .unwrap()
        .year();
    let period = format!("from={year}-01-01&to={year}-12-31");
    let json = app
        .get(&format!("/v1/sourcing-mix?{period}&group_by=month"), &buyer)
        .expect_status(StatusCode::OK)
        .await;
    for query in [period.clone(), format!("{period}&group_by=month")] {
        let svg = svg_of(&app, &buyer, &format!("/v1/sourcing-mix?{query}")).await;
        let (doc, texts) = checked(&svg);
        let legend: Vec<&str> = doc
            .descendants()
            .filter_map(|n| n.attribute("data-legend"))
            .collect();
        for series in ["asm", "lsm", "recycled", "unknown", "certified"] {
            assert!(legend.contains(&series), "a label for {series}: {legend:?}");
        }
        for target in json["targets"].as_array().unwrap() {
            let series = format!("target-{}", target["metric"].as_str().unwrap());
            assert!(legend.contains(&series.as_str()), "{series} in the legend");
        }
        for month in json["groups"].as_array().unwrap() {
            let label = month["key"][0]["value"].as_str().unwrap();
            assert!(texts.iter().any(|t| t == label), "month {label} labelled");
        }
        // One segment per class with purchases in a month, each with its words.
        let segments = doc
            .descendants()
            .filter(|n| {
                n.tag_name().name() == "rect"
                    && n.attribute("data-series").is_some_and(|s| !s.contains('-'))
            })
            .count();
        let expected: usize = json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                g["figures"]["classes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["quantity_mg"].as_i64().unwrap() > 0)
                    .count()
            })
            .sum();
        assert_eq!(segments, expected);
    }
    // An empty period is a chart that says so.
    let svg = svg_of(
        &app,
        &buyer,
        "/v1/sourcing-mix?from=2001-01-01&to=2001-12-31",
    )
    .await;
    let (_, texts) = checked(&svg);
    assert!(texts.iter().any(|t| t == "No purchases in this period"));

    app.get(
        &format!("/v1/sourcing-mix?{period}&group_by=supplier"),
        &buyer,
    )
    .header(ACCEPT, SVG)
    .expect_problem(400)
    .await;
    app.get(&format!("/v1/sourcing-mix?{period}"), &buyer)
        .header(ACCEPT, "image/png")
        .expect_problem(406)
        .await;
    // The CSV route stays CSV.
    app.get(&format!("/v1/sourcing-mix.csv?{period}"), &buyer)
        .header(ACCEPT, SVG)
        .expect_problem(406)
        .await;
}

async fn provenance_is_drawn_as_a_flow(backend: Backend) {
    let Some((app, buyer)) = seeded_app(backend).await else {
        return;
    };
    for reference in [GOLD_PURCHASE, TIN_PURCHASE] {
        let purchase = app
            .items(&buyer, &format!("/v1/purchases?external_ref={reference}"))
            .await[0]
            .clone();
        let id = purchase.id();
        let trace = app.trace_purchase(&buyer, &id).await;
        let svg = svg_of(&app, &buyer, &format!("/v1/purchases/{id}/provenance")).await;
        let (doc, texts) = checked(&svg);
        for origin in trace["origins"].as_array().unwrap() {
            let name = origin["facility_name"].as_str().unwrap();
            assert!(
                texts.iter().any(|t| t.contains(name)),
                "origin {name} labelled: {texts:?}"
            );
        }
        if trace["summary"]["recycled"]["quantity_mg"]
            .as_i64()
            .unwrap()
            > 0
        {
            assert!(texts.iter().any(|t| t.starts_with("recycled")));
        }
        let flagged = !trace["red_flags"].as_array().unwrap().is_empty();
        assert_eq!(
            texts.iter().any(|t| t.contains('⚑')),
            flagged,
            "{reference}"
        );
        let desc = doc
            .descendants()
            .find(|n| n.tag_name().name() == "desc")
            .and_then(|n| n.text())
            .unwrap();
        for flag in trace["red_flags"].as_array().unwrap() {
            assert!(desc.contains(flag["kind"].as_str().unwrap()));
        }
        // A band per attribution at least, each saying what it carries.
        let bands = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "path")
            .filter(|n| n.children().any(|c| c.tag_name().name() == "title"))
            .count();
        assert!(bands >= trace["attributions"].as_array().unwrap().len());

        // The lot's own trace draws the same.
        let lot = purchase["lot_id"].as_str().unwrap();
        let svg = svg_of(&app, &buyer, &format!("/v1/lots/{lot}/provenance")).await;
        checked(&svg);

        // Another organisation's purchase and lot are not found, drawn or not.
        let other = app.purchaser("Other jeweller").await;
        for path in [
            format!("/v1/purchases/{id}/provenance"),
            format!("/v1/lots/{lot}/provenance"),
        ] {
            app.get(&path, &other)
                .header(ACCEPT, SVG)
                .expect_problem(404)
                .await;
        }
    }
    let gold = app
        .items(
            &buyer,
            &format!("/v1/purchases?external_ref={GOLD_PURCHASE}"),
        )
        .await;
    app.get(
        &format!("/v1/purchases/{}/provenance", gold[0].id()),
        &buyer,
    )
    .header(ACCEPT, "text/csv")
    .expect_problem(406)
    .await;
    let _: Value = app
        .get(
            &format!("/v1/purchases/{}/provenance", gold[0].id()),
            &buyer,
        )
        .header(ACCEPT, "application/json")
        .expect_status(StatusCode::OK)
        .await;
}

crate::each_backend!(the_mix_is_drawn_per_month, provenance_is_drawn_as_a_flow);
